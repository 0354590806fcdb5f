"""Confirm each recognised copy upstream: its project on the package index, the release it
matches best, and the upstream path of each of its files at that release.

A release is scored over every Python file of the copy, lower is better:

1. files of the copy the release lacks (in either layout, ``pkg/`` or ``src/pkg/``);
2. the constant-level distance, summed over the files (as ``dssync identify`` counts it);
3. fewer byte-identical files (empty ones do not count) is worse: it tells apart releases
   whose constants agree;
4. the lines that differ (those only one side has, as sets of lines): it tells apart releases
   of a patched copy, or of modules with no constants at all, whose constants tie.

The releases to score are chosen by ``dssync._init.search``. A name that exists on the index is
only taken for the project when the files agree: at its best release at least half of the
copy's files are upstream, and (unless some file is byte-identical) the distance is at most half
of the copy's constants (for a copy without constants: the lines that differ, at most about
half of its lines).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from dssync._init.recognise import Candidate, Hint, canonical
from dssync._init.search import search
from dssync.errors import DssyncError, NotFound

if TYPE_CHECKING:
    from dssync._extract.table_json import Memo
    from dssync._source.interface import Fetched, SourceContext
    from dssync._source.package_index import PackageIndexSource
    from dssync.cache import Cache
    from dssync.models import ConstantTable

Key = tuple[int, ...]
"""(files absent, distance, -files byte-identical, lines differing): lower is better."""


@dataclass
class Local:
    """One file of the copy, read once."""

    path: str
    """Relative to the candidate's base: the upstream path it is looked for under."""
    vendored: str
    """From the project root."""
    content: bytes
    sha256: str
    table: ConstantTable | None
    """None where the copy cannot be parsed: it is then compared by bytes only."""

    @functools.cached_property
    def lines(self) -> set[bytes]:
        return set(self.content.splitlines())


@dataclass
class Adopted:
    """A copy confirmed upstream."""

    candidate: Candidate
    package: str
    """The project's name on the package index, as found."""
    source: str
    """``pypi:NAME``."""
    tag: str
    version: str
    key: Key
    tied: list[str]
    """Every release tag that scored as well (oldest first): ``tag`` is the newest of them."""
    releases: int
    """How many releases the index lists."""
    fetched: int
    """How many releases (archives) were read to find it."""
    files: dict[str, Fetched]
    """Vendored path (from the project root) -> upstream file at ``tag`` (``origin.path`` is
    where the release has it, ``src/`` followed)."""
    sha256: dict[str, str]
    """Vendored path -> sha256 of the copy as it is (what the lock records)."""
    local_only: list[str] = field(default_factory=list)
    """Files of the copy that the release does not have (not configured)."""
    hint: Hint | None = None
    hint_release: bool = False
    """Whether the hinted version is one of the releases."""
    upstream_dir: str | None = None
    """For a whole package: the package's directory upstream at ``tag`` (``src/urllib3``)."""
    left_out: list[str] = field(default_factory=list)
    """For a whole package: Python files upstream has in that directory at ``tag`` and the copy
    does not (relative to it): left out on purpose, so the tree does not take them."""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    """The tree's globs (see ``tree_globs``)."""

    @property
    def distance(self) -> int:
        return self.key[1]

    @property
    def exact(self) -> bool:
        return self.key[0] == 0 and self.key[1] == 0

    @property
    def identical(self) -> int:
        return -self.key[2]


@dataclass(frozen=True)
class Unmatched:
    """A recognised project no release on the package index matches, and why."""

    directory: str
    reason: str


SourceMaker = Callable[[str], "PackageIndexSource"]
"""The package index's source for a project name."""


def adopt(root: Path, candidate: Candidate, make_source: SourceMaker, ctx: SourceContext,
          *, workers: int = 8, memo: Memo | None = None,
          prereleases: bool = False) -> Adopted | Unmatched:
    """``candidate`` confirmed on the package index, or why it could not be."""
    from dssync._analyses.tags import release_tags

    locals_ = _read_locals(root, candidate, ctx.cache, memo)
    tried: list[str] = []
    refused: list[str] = []
    for name in candidate.names:
        source = make_source(name)
        try:
            try:
                tags = release_tags(source.list_tags(), ctx.tag_format, prereleases=prereleases)
            except NotFound:
                tried.append(name)
                continue
            # Under the index's own (PEP 503) name: what the configuration, the lock and the
            # reports will show (``DeepSpeed/`` is the project deepspeed).
            found_as = source.name
            if found_as != name:
                source.close()
                source = make_source(found_as)
            found = _identify(candidate, found_as, source, tags, locals_, ctx, workers, memo)
        finally:
            source.close()
        if isinstance(found, Adopted):
            return found
        refused.append(found.reason)  # a project of that name, whose files do not agree
    reasons = [f"no project named {' or '.join(repr(n) for n in tried)} on the package index"
               ] if tried else []
    return Unmatched(candidate.directory, "; ".join(reasons + refused))


def _read_locals(root: Path, candidate: Candidate, cache: Cache,
                 memo: Memo | None) -> list[Local]:
    from dssync._extract.files import read_bytes, table_from_bytes
    from dssync._init import _shown

    found = []
    for path in candidate.files:
        vendored = _vendored(candidate, path)
        content = read_bytes(_shown(root / vendored))  # an error names it as users type it
        try:
            table: ConstantTable | None = table_from_bytes(content, vendored, cache, memo)
        except DssyncError:
            table = None
        found.append(Local(path, vendored, content, hashlib.sha256(content).hexdigest(), table))
    return found


def _identify(candidate: Candidate, name: str, source: PackageIndexSource, tags: list[str],
              locals_: list[Local], ctx: SourceContext, workers: int,
              memo: Memo | None) -> Adopted | Unmatched:
    from dssync._analyses.fetch import fetch_across

    paths = [local.path for local in locals_]
    fetched: dict[int, dict[str, Fetched | None]] = {}

    def score(indices: Sequence[int]) -> dict[int, Key]:
        got = fetch_across(source, [tags[i] for i in indices], paths, workers=workers)
        keys = {}
        for i in indices:
            files = {p: got.get((tags[i], p)) for p in paths}
            fetched[i] = files
            keys[i] = _key(locals_, files, ctx.cache, memo)
        return keys

    hints = [h for h in candidate.hints
             if h.project is None or canonical(h.project) == canonical(name)]
    hint, hint_index = _hinted(hints, tags, ctx.tag_format)
    # A hinted release whose constants all agree ends the search (pip rewrites the imports of
    # what it vendors, so bytes alone would rarely agree).
    found = search(len(tags), score, hint=hint_index, exact=lambda key: key[:2] == (0, 0))
    if found is None:
        return Unmatched(candidate.directory, f"{name}: no release could be read")
    best = found.newest
    files = fetched[best]
    present = {p: f for p, f in files.items() if f is not None}
    reason = _refusal(name, tags[best], locals_, found.best)
    if reason is not None:
        return Unmatched(candidate.directory, reason)
    from dssync.versions import tag_to_version

    adopted = Adopted(
        candidate=candidate, package=name, source=source.spec, tag=tags[best],
        version=tag_to_version(tags[best], ctx.tag_format) or tags[best], key=found.best,
        tied=[tags[i] for i in found.tied], releases=len(tags), fetched=len(found.scored),
        files={_vendored(candidate, p): f for p, f in present.items()},
        sha256={local.vendored: local.sha256 for local in locals_ if local.path in present},
        local_only=[_vendored(candidate, p) for p, f in files.items() if f is None],
        hint=hint, hint_release=hint_index is not None)
    if candidate.whole_package and not candidate.module:
        adopted.upstream_dir = _upstream_dir(candidate.package, present)
        adopted.left_out = _left_out(source, tags[best], adopted.upstream_dir, candidate)
        inner = len(candidate.package) + 1
        # The copy's own files (those the release lacks) stay out of the tree: the lock has no
        # entry for them, and diff would call them gone upstream (and --prune delete them).
        kept = [path[inner:] for path in candidate.files if path in present]
        own = [path[inner:] for path in candidate.files if path not in present]
        adopted.include, adopted.exclude = tree_globs(kept, adopted.left_out, own)
    return adopted


TREE_INCLUDE = "**/*.py"


def tree_globs(kept: Sequence[str], left_out: Sequence[str],
               own: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """A tree's ``include`` and ``exclude`` for a copy that keeps ``kept`` of a package's Python
    files, leaves out ``left_out`` and adds ``own`` files upstream does not have (paths relative
    to the package): every Python file but those left out or its own, a whole directory of them
    as one ``dir/**``; or, when that list would be longer than the copy's kept files, exactly
    those (pip keeps 35 of pygments' 302)."""
    kept_dirs = {"/".join(path.split("/")[:i]) for path in kept
                 for i in range(1, path.count("/") + 1)}
    exclude: list[str] = []
    for path in [*left_out, *own]:
        parts = path.split("/")
        glob = path
        for i in range(1, len(parts)):
            top = "/".join(parts[:i])
            if top not in kept_dirs:
                glob = top + "/**"
                break
        if glob not in exclude:
            exclude.append(glob)
    if len(exclude) > len(kept):
        return sorted(kept), []
    return [TREE_INCLUDE], exclude


def _left_out(source: PackageIndexSource, tag: str, upstream_dir: str,
              candidate: Candidate) -> list[str]:
    """The package's Python files at ``tag`` that the copy does not have."""
    prefix = upstream_dir + "/"
    mine = {path[len(candidate.package) + 1:] for path in candidate.files}
    return sorted(path[len(prefix):] for path in source.list_files(tag)
                  if path.startswith(prefix) and path.endswith(".py")
                  and path[len(prefix):] not in mine)


def _vendored(candidate: Candidate, path: str) -> str:
    return path if candidate.base == "." else f"{candidate.base}/{path}"


def _upstream_dir(package: str, present: dict[str, Fetched]) -> str:
    """Where the package's directory is upstream: ``package``, or ``src/package``."""
    for path, got in present.items():
        where = got.origin.path
        if where != path and where.endswith("/" + path):
            return where[: -len(path)] + package
    return package


def _key(locals_: list[Local], files: dict[str, Fetched | None], cache: Cache,
         memo: Memo | None) -> Key:
    from dssync._analyses.identify import distance
    from dssync._extract.files import table_from_bytes

    absent = distance_sum = identical = lines = 0
    for local in locals_:
        got = files.get(local.path)
        if got is None:
            absent += 1
            continue
        if got.origin.sha256 == local.sha256:
            # An empty __init__.py is the same in every project: no evidence of which.
            identical += bool(local.content.strip())
            continue
        lines += len(local.lines ^ set(got.content.splitlines()))
        if local.table is None:
            distance_sum += 1  # different bytes, and no constants to compare them by
            continue
        try:
            theirs = table_from_bytes(got.content, f"{got.origin.path}@{got.origin.tag}",
                                      cache, memo)
        except DssyncError:
            distance_sum += max(1, len(local.table))
            continue
        distance_sum += distance(local.table, theirs).distance
    return absent, distance_sum, -identical, lines


def _hinted(hints: list[Hint], tags: list[str], tag_format: str) -> tuple[Hint | None, int | None]:
    """The first hint, and the index of the release it names (None when it names none)."""
    if not hints:
        return None, None
    from packaging.version import InvalidVersion, Version

    from dssync.versions import release_version

    for hint in hints:
        try:
            wanted = Version(hint.version)
        except InvalidVersion:
            continue
        for i, tag in enumerate(tags):
            if release_version(tag, tag_format) == wanted:
                return hint, i
    return hints[0], None


def _refusal(name: str, tag: str, locals_: list[Local], key: Key) -> str | None:
    absent, dist, identical = key[0], key[1], -key[2]
    total = len(locals_)
    # The name is on the index; what is refused is taking that project for this copy.
    refused = (f"the project {name!r} on the package index does not match: its closest "
               f"release, {tag},")
    if absent * 2 > total:
        has = "none" if absent == total else f"only {total - absent}"
        return f"{refused} has {has} of the {total} files"
    if identical:
        return None
    constants = sum(len(local.table) for local in locals_ if local.table is not None)
    if dist > max(1, constants // 2):
        return f"{refused} differs in {dist} of the copy's {constants} constants"
    # Without constants to judge by (a reformatted copy keeps them, not its lines), the lines:
    # those only one side has count both sides', so this is about half of each.
    if not constants and key[3] > max(1, sum(len(local.lines) for local in locals_)):
        return (f"{refused} shares too few lines with the copy (which has no constants to "
                "compare)")
    return None
