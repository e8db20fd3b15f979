"""The `serve` page in a real browser: headless Chromium renders it and takes a screenshot.

Needs Debian's `chromium`. When it is missing, the test installs it with apt-get if it runs
as root with apt-get available, and is skipped (with the reason) otherwise.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_serve import Server, start_server, stop_server

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
MIN_SCREENSHOT_BYTES = 20_000


def _find() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, timeout=900, env=env, check=False
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed, and installing it needs root and apt-get")
    result = _apt("install", "-y", "chromium")
    if result.returncode != 0:  # the package lists may be missing or stale
        _apt("update")
        result = _apt("install", "-y", "chromium")
    found = _find()
    if not found:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"chromium could not be installed with apt-get: {last}")
    return found


@pytest.fixture
def server(indexed: Path) -> Iterator[Server]:
    running = start_server(indexed)
    try:
        yield running
    finally:
        if running.proc.poll() is None:
            stop_server(running)


def run_chromium(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_search_page_screenshot_and_dom(chromium: str, server: Server, tmp_path: Path) -> None:
    url = f"{server.base}/index/notes?_search=julia"
    shot = tmp_path / "page.png"
    result = run_chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,900", url)
    assert shot.exists(), result.stderr[-2000:]
    assert shot.stat().st_size > MIN_SCREENSHOT_BYTES
    assert png_size(shot) == (1280, 900)

    dom = run_chromium(chromium, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "State of Machine Learning in Julia" in page
    assert "First steps with Flux.jl" in page
    assert 'where search matches "julia"' in page
    assert "tags (array)" in page and "authors (array)" in page
    assert "Git worktrees for parallel branches" not in page  # not a julia note


def test_note_page_renders_markdown(chromium: str, server: Server, tmp_path: Path) -> None:
    status, data = server.get(
        "/index/notes.json", title="Git worktrees for parallel branches", _shape="objects"
    )
    assert status == 200
    note_id = data["rows"][0]["id"]
    dom = run_chromium(chromium, tmp_path, "--dump-dom", f"{server.base}/index/notes/{note_id}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<h2>Commands</h2>" in dom.stdout
    assert "<code>git worktree</code>" in dom.stdout
