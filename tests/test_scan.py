"""notes_kb.scan: which files are notes, hidden folders, exclusions, symlink loops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notes_kb.scan import ScanProblem, is_note, scan


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")


def found(root: Path, **kwargs: object) -> list[str]:
    return sorted(os.path.relpath(fs.path, root) for fs in scan([str(root)], **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("note.md", True),
        ("NOTE.MD", True),
        ("a.markdown", True),
        ("a.mdown", True),
        ("a.mkd", True),
        ("a.txt", False),
        ("a.md.bak", False),
        ("md", False),
        (".hidden.md", False),
        ("a.mdx", False),
    ],
)
def test_is_note(name: str, expected: bool) -> None:
    assert is_note(name) is expected


def test_scan_finds_notes_recursively_and_skips_hidden(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "a.md",
        "sub/b.markdown",
        "sub/deeper/c.md",
        "sub/readme.txt",
        ".git/x.md",
        ".obsidian/y.md",
        "sub/.trash/z.md",
        ".hidden.md",
        "sub/.h.md",
    )
    assert found(tmp_path) == ["a.md", "sub/b.markdown", "sub/deeper/c.md"]


def test_scan_reports_stat_data(tmp_path: Path) -> None:
    touch(tmp_path, "a.md")
    (tmp_path / "a.md").write_text("hello", encoding="utf-8")
    os.utime(tmp_path / "a.md", ns=(1_000_000_000, 1_234_567_890_123_456_789))
    (fs,) = scan([str(tmp_path)])
    st = os.stat(tmp_path / "a.md")
    assert fs.path == str(tmp_path / "a.md")
    assert (fs.mtime_ns, fs.size, fs.inode) == (1_234_567_890_123_456_789, 5, st.st_ino)


def test_a_scan_for_paths_alone_finds_the_same_files_without_their_stat(tmp_path: Path) -> None:
    touch(tmp_path, "a.md", "sub/b.md", ".git/c.md", "sub/d.txt", "x/skip.md")
    (tmp_path / "alias.md").symlink_to(tmp_path / "a.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing.md")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    for exclude in ((), ("x",)):
        assert found(tmp_path, stat=False, exclude=exclude) == found(tmp_path, exclude=exclude)
    assert {fs[1:] for fs in scan([str(tmp_path)], stat=False)} == {(0, 0, 0)}
    # a root that is a file has been looked at anyway
    (single,) = scan([str(tmp_path / "a.md")], stat=False)
    assert single.size == 1


def test_exclude_by_name_and_by_path(tmp_path: Path) -> None:
    touch(tmp_path, "keep.md", "drafts/a.md", "archive/2020/b.md", "x/skip-me.md")
    assert found(tmp_path, exclude=["drafts", "skip-*"]) == ["archive/2020/b.md", "keep.md"]
    assert found(tmp_path, exclude=[str(tmp_path / "archive") + "/*"]) == [
        "drafts/a.md",
        "keep.md",
        "x/skip-me.md",
    ]


def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    touch(tmp_path, "a/n.md")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a", target_is_directory=True)
    assert found(tmp_path) == ["a/n.md"]


def test_symlinked_folder_is_followed_once(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "o.md")
    root = tmp_path / "root"
    touch(root, "r.md")
    (root / "link1").symlink_to(outside, target_is_directory=True)
    (root / "link2").symlink_to(outside, target_is_directory=True)
    paths = found(root)
    assert "r.md" in paths
    assert len([p for p in paths if p.endswith("o.md")]) == 1


def test_symlinked_file_and_broken_symlink(tmp_path: Path) -> None:
    touch(tmp_path, "real.md")
    (tmp_path / "alias.md").symlink_to(tmp_path / "real.md")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing.md")
    assert found(tmp_path) == ["alias.md", "real.md"]


def test_a_root_may_be_a_single_file(tmp_path: Path) -> None:
    touch(tmp_path, "one.txt", "two.md")
    paths = [fs.path for fs in scan([str(tmp_path / "one.txt"), str(tmp_path / "two.md")])]
    assert paths == [str(tmp_path / "one.txt"), str(tmp_path / "two.md")]


def test_a_hidden_root_given_explicitly_is_scanned(tmp_path: Path) -> None:
    touch(tmp_path, ".vault/n.md")
    assert [Path(fs.path).name for fs in scan([str(tmp_path / ".vault")])] == ["n.md"]


def test_missing_root_is_a_problem_not_an_error(tmp_path: Path) -> None:
    problems: list[ScanProblem] = []
    assert list(scan([str(tmp_path / "nope")], problems=problems)) == []
    assert [p.path for p in problems] == [str(tmp_path / "nope")]
    assert problems[0].error


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read every folder")
def test_unreadable_folder_is_a_problem(tmp_path: Path) -> None:
    touch(tmp_path, "ok.md", "locked/secret.md")
    (tmp_path / "locked").chmod(0)
    try:
        problems: list[ScanProblem] = []
        paths = [fs.path for fs in scan([str(tmp_path)], problems=problems)]
        assert paths == [str(tmp_path / "ok.md")]
        assert [p.path for p in problems] == [str(tmp_path / "locked")]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_relative_roots_give_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path, "n/a.md")
    monkeypatch.chdir(tmp_path)
    assert [fs.path for fs in scan(["n"])] == [str(tmp_path / "n" / "a.md")]


def test_sample_notebook(notes_dir: Path) -> None:
    paths = [fs.path for fs in scan([str(notes_dir)])]
    assert len(paths) == 25
    assert all(p.endswith(".md") for p in paths)
