"""``dssync status`` (or ``verify``): do the vendored files still hold what the lock recorded?

A file whose sha256 differs from the lock's was edited since the last sync. To say how, constant
by constant, the upstream file the lock names is fetched again (the cache usually has it) and
compared with the file; when it cannot be had, only the hash difference is reported.
Exit status: 0 every file matches, 1 some differ, 2 trouble.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.commands.options import index_url
from dssync.errors import ConfigError, DssyncError, file_in_the_way
from dssync.models import FileDrift

if TYPE_CHECKING:
    from dssync.commands.targets import Target
    from dssync.config import Config
    from dssync.lock import LockEntry


@dataclass
class LocalState:
    """One vendored file against its lock entry."""

    vendored: str
    locked: object | None
    """The ``LockEntry``, or None when the file was never synced."""
    sha256: str | None
    """Of the file as it is now; None when it is missing."""
    edits: FileDrift | None = None
    """Upstream as locked (old) against the file now (new), pins apart; None if not known."""
    note: str | None = None
    """Why ``edits`` is unknown."""
    pins: dict[str, str] = field(default_factory=dict)
    kind: str = "constants"
    """``constants``, or ``license``: the upstream LICENSE copy, checked by its hash only."""

    @property
    def state(self) -> str:
        """``ok``, ``modified``, ``missing`` or ``not-locked``."""
        if self.locked is None:
            return "not-locked"
        if self.sha256 is None:
            return "missing"
        return "ok" if self.matches else "modified"

    @property
    def edited_pins(self) -> list:
        """Pinned constants whose value differs from upstream as locked (``Pinned``)."""
        return [p for p in self.edits.pinned if p.drifted] if self.edits is not None else []

    @property
    def matches(self) -> bool:
        return self.locked is not None and self.sha256 == self.locked.sha256  # type: ignore[attr-defined]

    def edited_names(self) -> set[str]:
        return self.edits.names() if self.edits is not None else set()


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise DssyncError("is a directory, not a vendored file", path=path,
                          hint="remove the directory, or fix the path in the configuration"
                          ) from None
    except NotADirectoryError:
        raise DssyncError(f"cannot be a file: {file_in_the_way(path) or path.parent} is not a "
                          "directory", path=path,
                          hint="remove or rename that file, or fix the path in the "
                               "configuration") from None
    except OSError as exc:
        raise DssyncError(f"cannot read: {exc.strerror or exc}", path=path,
                          hint="check the file's permissions") from None


def locked_upstream(args: argparse.Namespace, config: Config,
                    entry: LockEntry) -> tuple[bytes | None, str | None]:
    """The upstream bytes the lock entry records, or None and the reason they are unavailable.
    The lock's own source is asked first, then the configured ones."""
    from dssync.commands.upstream import SourceChain, make_context, source_specs

    specs = [entry.source]
    try:
        specs += [s for s in source_specs(args, config) if s != entry.source]
    except ConfigError:
        pass
    chain = SourceChain(specs, make_context(args, config))
    try:
        _, fetched = chain.fetch(entry.tag, [entry.upstream])
    except DssyncError as exc:  # unreachable, gone, not cached offline, misconfigured source
        return None, f"upstream {entry.upstream} at {entry.tag} is unavailable ({exc})"
    finally:
        chain.close()
    content = fetched[entry.upstream].content
    if hashlib.sha256(content).hexdigest() != entry.upstream_sha256:
        return None, (f"upstream {entry.upstream} at {entry.tag} no longer has the sha256 the lock"
                      " recorded")
    return content, None


def inspect(args: argparse.Namespace, config: Config, target: Target,
            entry: LockEntry | None) -> LocalState:
    """How ``target`` (a ``Target``) stands against its lock ``entry``."""
    state = LocalState(target.vendored, entry, file_sha256(target.path), pins=dict(target.pins))
    if entry is None or state.sha256 is None or state.matches:
        return state
    content, why = locked_upstream(args, config, entry)
    if content is None:
        state.note = why
        return state
    from dssync._diff.engine import diff_tables
    from dssync.commands.local_files import read_bytes, table_from_bytes
    from dssync.commands.options import cache_from_args

    cache = cache_from_args(args)
    try:
        mine = read_bytes(target.path)
        current = table_from_bytes(mine, str(target.path), cache)
    except DssyncError as exc:
        state.note = f"the file no longer parses ({exc})"
        return state
    old = table_from_bytes(content, f"{entry.upstream}@{entry.tag}", cache)
    state.edits = diff_tables(old, current, vendored=target.vendored, upstream=entry.upstream,
                              pins=target.pins, modules=(content, mine), place_added=False)
    return state


# --- the command -------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dssync.commands.options import add_download_timeout, add_verdict_options

    p = sub.add_parser("status", aliases=["verify"],
                       help="check that vendored files still match the lock; list local edits",
                       description="For each configured file, and the LICENSE copy: does it still "
                                   "have the sha256 the lock recorded? Local edits are listed "
                                   "constant by constant. Exit status: 0 all match, 1 some "
                                   "differ, 2 trouble.")
    p.set_defaults(command="status")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="vendored files to check (default: all configured, and the LICENSE copy)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="json: schema dssync.status/1 (tool/dssync/schema/status.schema.json)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    add_verdict_options(p, finding="a file that differs from the lock")
    g = p.add_argument_group("upstream (to list local edits)")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_download_timeout(g)
    g.add_argument("--index-url", metavar="URL", type=index_url,
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--config", metavar="PATH", help="pyproject.toml or dssync.toml to use")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log each upstream request to stderr (secrets redacted)")


FORMATS = ("text", "json")
SCHEMA = "dssync.status/1"


def run(args: argparse.Namespace) -> int:
    from dssync.commands.output import write_report
    from dssync.commands.targets import select_targets
    from dssync.commands.upstream import load_project_config
    from dssync.lock import read_lock

    for name, default in (("source", None), ("tag", None), ("upstream_path", None),
                          ("prereleases", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    config = load_project_config(args)
    if config is None:
        raise ConfigError("status needs a [tool.dssync] configuration and its lock file",
                          hint="run it inside the project, or pass --config PATH")
    targets = select_targets(args, config)
    lock = read_lock(config.resolve(config.lock))
    states = [inspect(args, config, t, lock.get(t.vendored)) for t in targets]
    if config.license is not None and not args.files:
        # vendor records the LICENSE copy in the lock too: it is checked by its hash.
        vendored = config.license.vendored
        states.append(LocalState(vendored, lock.get(vendored),
                                 file_sha256(config.resolve(vendored)), kind="license"))
    text = render_json(states) if args.format == "json" else render(states)
    write_report(text, output=args.output, fmt=args.format)
    return 0 if all(s.matches for s in states) else 1


def _edit_lines(e: FileDrift, pinned: list) -> list[str]:
    from dssync._format.values import display

    lines = [f"    ~ {c.name}: {display(c.old_shown)} -> {display(c.new_shown)}  (line {c.new_line})"
             for c in e.changed]
    lines += [f"    + {a.name} = {display(a.shown)}  (added locally, line {a.line})" for a in e.added]
    lines += [f"    - {r.name} = {display(r.shown)}  (removed locally)" for r in e.removed]
    lines += [f"    > {r.old_name} -> {r.new_name}  (renamed locally, line {r.new_line})"
              for r in e.renamed]
    lines += [f"    > class {c.old_name} -> {c.new_name}  (renamed locally, line {c.new_line})"
              for c in e.renamed_classes]
    # The diff's old side is upstream as locked (a pin's "local"), its new side the file now.
    lines += [f"    = {p.name}: {display(p.local_shown or '<absent>')} -> "
              f"{display(p.upstream_shown or '<absent>')}  (pinned: {p.reason}; line {p.line})"
              for p in pinned]
    if not e.has_drift and pinned:
        lines.append(f"    no unpinned constant differs from upstream: the edits are in the pinned "
                     f"{'constant' if len(pinned) == 1 else 'constants'} above, or outside the "
                     "constants")
    elif not e.has_drift:
        lines.append("    no constant differs from upstream: the edits are elsewhere"
                     " (comments, formatting, code)")
    return lines


def render(states: list[LocalState]) -> str:
    lines: list[str] = []
    for s in states:
        entry = s.locked
        what = " (the LICENSE copy)" if s.kind == "license" else ""
        if entry is None:
            lines.append(f"{s.vendored}{what}: not in the lock (never synced; run 'dssync vendor' or "
                         "'dssync update')")
            continue
        since = f"{entry.tag} from {entry.source}"  # type: ignore[attr-defined]
        if s.sha256 is None:
            lines.append(f"{s.vendored}{what}: missing (locked at {since})")
            continue
        if s.matches:
            lines.append(f"{s.vendored}{what}: ok, as synced at {since}")
            continue
        lines.append(f"{s.vendored}{what}: modified since {since} (sha256 differs from the lock)")
        if s.kind == "license":
            continue
        if s.edits is None:
            lines.append(f"    constants not compared: {s.note}")
            continue
        lines += _edit_lines(s.edits, s.edited_pins)
    ok = sum(s.matches for s in states)
    lines.append(f"{len(states)} file{'s' if len(states) != 1 else ''}: {ok} match the lock, "
                 f"{len(states) - ok} differ")
    return "\n".join(lines) + "\n"


def _edits_to_dict(s: LocalState) -> dict:
    e = s.edits
    assert e is not None
    return {
        "changed": [{"name": c.name, "locked": c.old, "now": c.new, "locked_as_written": c.old_shown,
                     "now_as_written": c.new_shown, "line": c.new_line} for c in e.changed],
        "added": [{"name": a.name, "value": a.value, "as_written": a.shown, "line": a.line}
                  for a in e.added],
        "removed": [{"name": r.name, "value": r.value, "as_written": r.shown} for r in e.removed],
        "renamed": [{"old_name": r.old_name, "new_name": r.new_name, "line": r.new_line}
                    for r in e.renamed],
        "renamed_classes": [{"old_name": c.old_name, "new_name": c.new_name, "line": c.new_line,
                             "constants": list(c.constants)} for c in e.renamed_classes],
        "pinned": [{"name": p.name, "reason": p.reason, "locked": p.local, "now": p.upstream,
                    "line": p.line} for p in s.edited_pins],
        "elsewhere": not e.has_drift and not s.edited_pins,
    }


def render_json(states: list[LocalState]) -> str:
    import json

    files = []
    for s in states:
        locked = s.locked.to_dict() if s.locked is not None else None  # type: ignore[attr-defined]
        item: dict = {"vendored": s.vendored, "kind": s.kind, "state": s.state, "sha256": s.sha256,
                      "locked": locked}
        if s.state == "modified" and s.kind == "constants":
            item["edits"] = _edits_to_dict(s) if s.edits is not None else None
            if s.note:
                item["note"] = s.note
        files.append(item)
    ok = sum(s.matches for s in states)
    data = {"schema": SCHEMA, "files": files,
            "summary": {"files": len(states), "match": ok, "differ": len(states) - ok},
            "clean": ok == len(states)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
