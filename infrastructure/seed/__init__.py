"""Data for demos and benchmarks: the stories of DESIGN.md §1 (demo) and large realistic sets
(bulk)."""
