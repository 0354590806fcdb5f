"""A fixed drift that exercises every kind of finding, and golden-file comparison.

The report is built from the models directly, so the golden files change only when a format
changes. Values carry what formats must escape: ``%``, CR/LF, ``:`` and ``,``, HTML markup,
Markdown table pipes and backticks, and non-ASCII text; one vendored path has a space, a comma
and a colon.

Regenerate the golden files after an intended format change with
``DSSYNC_UPDATE_GOLDEN=1 python -m pytest tests/test_format_*.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

from dssync.models import (
    Added, Changed, DriftReport, FileDrift, Origin, Pinned, Removed, Renamed,
)

GOLDEN = Path(__file__).parent
UPDATE = os.environ.get("DSSYNC_UPDATE_GOLDEN") == "1"

NASTY = "'50%::error::x, a:b <script>x</script> & \"q\" | `t` ü'"
"""A string value with what formats must escape, short enough to be shown whole everywhere."""
MULTILINE = "'line one\\nline two <b>bold</b>'"
"""A normalized multi-line string as the extractor writes it: the escape stays escaped."""
INJECTION = "kept for the v1 API\r\n::error::injected"
"""Free text from the configuration (a pin's reason) with a real CR/LF."""
ODD_PATH = "vendored/odd dir/a,b:c.py"
COMMENT = "50%::warning::see <b>docs</b> | `x` & *y* [z]\r\n::error::injected"
"""A documenting comment with what formats must escape (a comment holds no line end, but a
report must be safe whatever the model carries)."""


def fixed_report() -> DriftReport:
    main = FileDrift(
        vendored="vendored/pkg/constants.py",
        upstream="pkg/constants.py",
        origin=Origin(source="git:upstream", tag="v2.0.0", path="pkg/constants.py",
                      sha256="ab" * 32, commit="0123456789abcdef0123456789abcdef01234567"),
        changed=[
            Changed(name="TIMEOUT", kind="value", old="30", new="60", old_line=10, new_line=12,
                    old_resolved=30, new_resolved=60, comment="Seconds to wait for a reply"),
            Changed(name="CONFIG", kind="value", old="{'a': 1, 'b': [1, 2]}",
                    new="{'a': 2, 'b': [1, 2]}", old_line=14, new_line=16,
                    old_resolved={"a": 1, "b": [1, 2]}, new_resolved={"a": 2, "b": [1, 2]},
                    details=("root['a']: 1 -> 2",)),
            Changed(name="ENDPOINT", kind="reference", old="BASE + '/x'", new="BASE + '/x'",
                    old_line=18, new_line=21, old_resolved="v1/x", new_resolved="v2/x"),
        ],
        removed=[Removed(name="OLD_FLAG", value="True", line=20, source="True",
                         comment="Deprecated\nremove in v2")],
        renamed=[Renamed(old_name="MAX_SIZ", new_name="MAX_SIZE", value="1024", old_line=22,
                         new_line=25, similarity=0.93)],
        added=[
            Added(name="NEW_MODE", value="'fast'", line=30, source="'fast'"),
            Added(name="WEIRD", value=NASTY, line=31, source=NASTY, comment=COMMENT),
            Added(name="TEXT", value=MULTILINE, line=33, source=MULTILINE),
        ],
        pinned=[
            Pinned(name="PINNED_OK", local="1", upstream="1", line=5, reason=INJECTION,
                   drifted=False),
            Pinned(name="PINNED_DIFF", local="'local'", upstream="'remote'", line=6,
                   reason="our fork's default", drifted=True),
        ],
    )
    odd = FileDrift(
        vendored=ODD_PATH,
        upstream="odd/a.py",
        changed=[Changed(name="RATIO", kind="value", old="'10%'", new=NASTY, old_line=3,
                         new_line=3, old_resolved="10%", new_resolved=NASTY[1:-1])],
    )
    clean = FileDrift(vendored="vendored/pkg/other.py", upstream="pkg/other.py")
    return DriftReport(files=[main, odd, clean], tag="v2.0.0",
                       notes=["upstream v2.0.0 read from git:upstream"])


def many_changes(n: int) -> DriftReport:
    """``n`` changed constants in one file, for limits."""
    changed = [Changed(name=f"C{i:02d}", kind="value", old=str(i), new=str(i + 1), old_line=i + 1,
                       new_line=i + 1) for i in range(n)]
    return DriftReport(files=[FileDrift(vendored="v/m.py", upstream="m.py", changed=changed)],
                       tag="v9")


def check_golden(name: str, text: str) -> None:
    """``text`` must equal the golden file ``name``; with DSSYNC_UPDATE_GOLDEN=1 it becomes it."""
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"no golden file {path}; run with DSSYNC_UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{name} differs from its golden file; if intended, regenerate " \
                             "with DSSYNC_UPDATE_GOLDEN=1 and review the diff"
