"""Questions about upstream's past: what changed when (history), which release a vendored copy
came from (identify), who uses what drifted (impact), and constants that moved between files."""
