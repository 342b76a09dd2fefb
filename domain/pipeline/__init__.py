"""The sales pipeline: leads qualified into deals, deals moved through ordered stages, and
what the moves say about each stage's efficiency."""
