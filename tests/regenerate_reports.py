"""Regenerate the committed example reports in ``reports/``, or check that they are current.

    python -m tests.regenerate_reports            # rewrite reports/drift-<TAG>.*
    python -m tests.regenerate_reports --check    # exit 1 naming each stale file, write nothing

The reports are those of ``dssync diff --tag TAG --output DIR`` run in the repository root (the
vendored DeepSpeed copy against upstream ``TAG``, read from the package index), so they change
only when dssync's formats or findings do; ``tests/test_reports.py`` runs the check.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
TAG = "v0.19.8"
"""The upstream release of the committed example: fixed, so the example is reproducible."""
SUFFIXES = (".md", ".json", ".sarif", ".html")


class Unreachable(Exception):
    """Upstream could not be read: the reports cannot be made here."""


def write_reports(directory: Path, *, tag: str = TAG, cache_dir: Path | None = None) -> list[Path]:
    """The four report files of ``tag`` written into ``directory`` (which must exist)."""
    command = [sys.executable, "-m", "dssync", "diff", "--tag", tag, "--output", str(directory)]
    if cache_dir is not None:
        command += ["--cache-dir", str(cache_dir)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no message"
        raise Unreachable(f"dssync diff --tag {tag} failed (exit {done.returncode}): {message}")
    return [directory / f"drift-{tag}{suffix}" for suffix in SUFFIXES]


def stale_reports(*, tag: str = TAG, cache_dir: Path | None = None) -> list[str]:
    """The committed report files that differ from freshly made ones (or are missing)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_reports(Path(tmp), tag=tag, cache_dir=cache_dir)
        return [path.name for path in fresh
                if not (REPORTS / path.name).exists()
                or not filecmp.cmp(path, REPORTS / path.name, shallow=False)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.regenerate_reports",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only report stale files (exit 1 when there are any)")
    parser.add_argument("--tag", default=TAG, help=f"the upstream release (default: {TAG})")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_reports(tag=args.tag)
            for name in stale:
                print(f"reports/{name} is stale; run python -m tests.regenerate_reports")
            return 1 if stale else 0
        for path in write_reports(REPORTS, tag=args.tag):
            print(f"wrote reports/{path.name}")
    except Unreachable as exc:
        print(f"regenerate_reports: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
