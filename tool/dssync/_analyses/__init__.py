"""Questions about upstream's past and the project's present: what changed when (history),
which release a vendored copy came from (identify), who uses what drifted (impact), and
whether the vendored files still hold what the lock recorded (status)."""
