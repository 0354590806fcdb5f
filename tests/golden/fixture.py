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
    Added, Changed, ClassRenamed, DriftReport, FileDrift, Gone, Moved, Origin, Pinned, Placement,
    Removed, Renamed, UpstreamWeb,
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
HELP_OLD = "usage:\n  -a  all <b>files</b>\n  -b  brief\n"
HELP_NEW = "usage:\n  -a  every file\n  -b  brief\n  -c  colour\n"
"""A multi-line help text whose second line changed and that gained a line upstream."""
BACKSLASH = "'\\\\'"
"""The normalized value of a one-backslash string: quote, two backslashes, quote."""
COMMENT = "50%::warning::see <b>docs</b> | `x` & *y* [z]\r\n::error::injected"
"""A documenting comment with what formats must escape (a comment holds no line end, but a
report must be safe whatever the model carries)."""


def fixed_report() -> DriftReport:
    # Upstream moved SHARED_KEY from pkg/constants.py to odd/a.py: listed in both sections.
    move = Moved(name="SHARED_KEY", value="'shared'", from_vendored="vendored/pkg/constants.py",
                 from_upstream="pkg/constants.py", to_vendored=ODD_PATH, to_upstream="odd/a.py",
                 old_line=8, new_line=9, written='"shared"', comment="Read by <both> | files",
                 placement=Placement(3, "after", "RATIO"))
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
            Changed(name="HELP", kind="value", old=repr(HELP_OLD), new=repr(HELP_NEW), old_line=40,
                    new_line=44, old_source='"""' + HELP_OLD + '"""', new_source='"""' + HELP_NEW + '"""',
                    old_resolved=HELP_OLD, new_resolved=HELP_NEW,
                    details=("-  -a  all <b>files</b>", "+  -a  every file", "+  -c  colour"),
                    comment="What --help prints"),
            Changed(name="SEP", kind="value", old=BACKSLASH, new="'/'", old_line=46, new_line=50,
                    old_resolved="\\", new_resolved="/"),
        ],
        removed=[Removed(name="OLD_FLAG", value="True", line=20, source="True",
                         comment="Deprecated\nremove in v2")],
        renamed=[Renamed(old_name="MAX_SIZ", new_name="MAX_SIZE", value="1024", old_line=22,
                         new_line=25, similarity=0.93, old_written="0x400", new_written="1_024")],
        renamed_classes=[ClassRenamed(old_name="TraceMode", new_name="ZeRoTraceMode", old_line=40,
                                      new_line=44, constants=("RECORD", "COMPLETE"))],
        added=[
            Added(name="NEW_MODE", value="'fast'", line=30, source="'fast'",
                  placement=Placement(10, "after", "TIMEOUT")),
            Added(name="WEIRD", value=NASTY, line=31, source=NASTY, comment=COMMENT,
                  placement=Placement(5, "before", "PINNED_OK")),
            # Built without a placement (as by hand): annotated on line 1.
            Added(name="TEXT", value=MULTILINE, line=33, source=MULTILINE),
        ],
        pinned=[
            Pinned(name="PINNED_OK", local="1", upstream="1", line=5, reason=INJECTION,
                   drifted=False),
            Pinned(name="PINNED_DIFF", local="'local'", upstream="'remote'", line=6,
                   reason="our fork's default", drifted=True),
        ],
        locked_tag="v1.0.0",
        moved=[move],
    )
    odd = FileDrift(
        vendored=ODD_PATH,
        upstream="odd/a.py",
        origin=Origin(source="pypi:pkg", tag="v2.0.0", path="odd/a.py", sha256="cd" * 32,
                      archive="pkg-2.0.0.tar.gz", archive_sha256="ef" * 32),
        changed=[Changed(name="RATIO", kind="value", old="'10%'", new=NASTY, old_line=3,
                         new_line=3, old_resolved="10%", new_resolved=NASTY[1:-1])],
        moved=[move],
    )
    clean = FileDrift(vendored="vendored/pkg/other.py", upstream="pkg/other.py",
                      origin=Origin(source="git:upstream", tag="v2.0.0", path="pkg/other.py",
                                    sha256="12" * 32, commit="0123456789abcdef0123456789abcdef01234567"))
    # A module without constants (an __init__.py) that upstream dropped: no finding, but its
    # section says so.
    gone = FileDrift(vendored="vendored/pkg/__init__.py", upstream="pkg/__init__.py",
                     gone=Gone(tag="v2.0.0", sources=("git:upstream",),
                               detail="pkg/__init__.py does not exist at tag v2.0.0 in git:upstream",
                               known_at="v1.9.0", since="v2.0.0"))
    return DriftReport(files=[main, odd, clean, gone], tag="v2.0.0",
                       notes=["upstream v2.0.0 read from git:upstream"],
                       web=UpstreamWeb("https://github.com/example/upstream"))


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
