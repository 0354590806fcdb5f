"""Do the package, the CHANGELOG, the built files and the tag agree on one version?

    python .github/scripts/check_release.py                      # any commit: the CHANGELOG is sane
    python .github/scripts/check_release.py --tag v0.2.0 dist/*  # releasing: everything agrees
    python .github/scripts/check_release.py --notes v0.2.0       # that release's CHANGELOG section

The version is written once, as ``__version__`` in tool/dssync/__init__.py; pyproject.toml reads
it from there. The CHANGELOG (Keep a Changelog) has an ``## [Unreleased]`` section on top and
one ``## [X.Y.Z] - YYYY-MM-DD`` section per release, newest first.

Any commit: the package's version is the newest release in the CHANGELOG (just released) or
above it (the next one). Releasing the tag ``vX.Y.Z``: the package's version is X.Y.Z, the
CHANGELOG's newest release is X.Y.Z with a date, and every built file (sdist, wheel) carries
X.Y.Z and the files a user needs (the JSON schema, py.typed).

Each failure is one line on stderr; the exit status is 1.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
VERSION_RE = re.compile(r'^__version__ = "([^"]+)"$', re.M)
HEADING_RE = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\S+))?[ \t]*$", re.M)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WHEEL_NEEDS = ("dssync/schema/drift.schema.json", "dssync/py.typed", "dssync/cli.py")


class Disagreement(Exception):
    pass


def package_version(root: Path) -> Version:
    init = root / "tool" / "dssync" / "__init__.py"
    found = VERSION_RE.findall(init.read_text(encoding="utf-8"))
    if len(found) != 1:
        raise Disagreement(f"{init}: expected one line __version__ = \"X.Y.Z\"")
    try:
        return Version(found[0])
    except InvalidVersion:
        raise Disagreement(f"{init}: __version__ {found[0]!r} is not a PEP 440 version") from None


def pyproject_reads_the_package_version(root: Path) -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    doc = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    dynamic = doc.get("tool", {}).get("setuptools", {}).get("dynamic", {})
    if "version" in doc["project"] or "version" not in doc["project"].get("dynamic", []) \
            or dynamic.get("version") != {"attr": "dssync.__version__"}:
        raise Disagreement("pyproject.toml: the version must be dynamic, read from "
                           "dssync.__version__ (one place to change it)")


def changelog(root: Path) -> list[tuple[str, str | None, str]]:
    """(name, date, body) of each ``## [...]`` section, in file order."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    heads = list(HEADING_RE.finditer(text))
    sections = []
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[m.end():end]
        body = body.split("\n[", 1)[0] if re.search(r"^\[[^\]]+\]: ", body, re.M) else body
        sections.append((m["name"], m["date"], body.strip("\n")))
    return sections


def releases(sections: list[tuple[str, str | None, str]]) -> list[tuple[Version, str | None]]:
    if not sections or sections[0][0] != "Unreleased":
        raise Disagreement("CHANGELOG.md: the first section must be ## [Unreleased]")
    out = []
    for name, date, _ in sections[1:]:
        try:
            out.append((Version(name), date))
        except InvalidVersion:
            raise Disagreement(f"CHANGELOG.md: ## [{name}] is not a version") from None
    versions = [v for v, _ in out]
    if versions != sorted(versions, reverse=True) or len(set(versions)) != len(versions):
        raise Disagreement("CHANGELOG.md: releases must be listed newest first, each once")
    return out


def check(root: Path, tag: str | None, dists: list[Path]) -> Version:
    version = package_version(root)
    pyproject_reads_the_package_version(root)
    released = releases(changelog(root))
    newest = released[0][0] if released else None
    if tag is None:
        if newest is not None and version < newest:
            raise Disagreement(f"the package says {version} but the CHANGELOG already released {newest}")
    else:
        if tag != f"v{version}":
            raise Disagreement(f"the tag {tag} does not name the package's version {version} "
                               f"(expected v{version})")
        if newest != version:
            raise Disagreement(f"CHANGELOG.md: the newest release is {newest or 'none'}, not "
                               f"{version}: rename ## [Unreleased] to ## [{version}] - DATE and add "
                               "a new empty ## [Unreleased] above it")
        if not DATE_RE.match(released[0][1] or ""):
            raise Disagreement(f"CHANGELOG.md: ## [{version}] needs its date (## [{version}] - YYYY-MM-DD)")
    for dist in dists:
        check_dist(dist, version)
    return version


def check_dist(path: Path, version: Version) -> None:
    name = path.name
    if name.endswith(".whl"):
        if not name.startswith(f"dssync-{version}-"):
            raise Disagreement(f"{name}: not version {version}")
        with zipfile.ZipFile(path) as wheel:
            members = set(wheel.namelist())
        missing = [m for m in WHEEL_NEEDS if m not in members]
        if missing:
            raise Disagreement(f"{name}: lacks {', '.join(missing)}")
    elif name.endswith(".tar.gz"):
        if name != f"dssync-{version}.tar.gz":
            raise Disagreement(f"{name}: not version {version}")
        with tarfile.open(path) as sdist:
            members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
        missing = [m for m in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md",
                               *(f"tool/{m}" for m in WHEEL_NEEDS)) if m not in members]
        if missing:
            raise Disagreement(f"{name}: lacks {', '.join(missing)}")
    else:
        raise Disagreement(f"{name}: neither a wheel nor an sdist")


def notes(root: Path, tag: str) -> str:
    """The CHANGELOG section of the release ``tag`` names, for the GitHub release."""
    wanted = tag[1:] if tag.startswith("v") else tag
    for name, _, body in changelog(root):
        if name == wanted:
            return body + "\n"
    raise Disagreement(f"CHANGELOG.md has no section ## [{wanted}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tag", help="the tag being released, e.g. v0.2.0")
    parser.add_argument("--notes", metavar="TAG", help="print the CHANGELOG section of TAG")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("dists", nargs="*", type=Path, help="built sdist and wheel files to check")
    args = parser.parse_args(argv)
    try:
        if args.notes:
            sys.stdout.write(notes(args.root, args.notes))
            return 0
        version = check(args.root, args.tag, args.dists)
    except (Disagreement, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        print(f"check_release: {exc}", file=sys.stderr)
        return 1
    what = f"tag {args.tag}, " if args.tag else ""
    print(f"check_release: {what}package {version}, CHANGELOG and {len(args.dists)} built file(s) agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
