"""End-to-end benchmarks: `make bench` (10k and 100k notes) and `make bench-quick` (2k)."""
