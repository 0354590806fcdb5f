"""Bring a vendored module to upstream's constants: decode, plan, transform, re-encode.

``merge`` keeps the vendored file and changes only drifted constants; ``replace`` takes
upstream's file and puts the pinned (and deselected) constants' local values back in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from dssync._extract.decode import SourceText, decode_source, token_estimate
from dssync._extract.stack import deeply
from dssync._rewrite.plan import MergePlan, Selection, plan_merge
from dssync._rewrite.threeway import settle
from dssync._rewrite.textstyle import encode_source, ends_with_newline, with_newlines, with_trailing_newline
from dssync.errors import DssyncError
from dssync.models import ConstantTable, FileDrift

if TYPE_CHECKING:  # libcst is imported only when a file is read for rewriting
    import libcst as cst

    from dssync._rewrite.layout import Layout
    from dssync._rewrite.names import Resolution
    from dssync.cache import Cache

MODES = ("merge", "replace")

MAX_REWRITE_TOKENS = 400_000
"""Reading a module is bounded piece by piece, but a rewrite holds libcst's tree of the whole
file, about 0.9 KB a token (130 MB measured for 144,000 tokens): at this bound some 360 MB.
Real constants modules are a few thousand tokens (DeepSpeed's runtime/constants.py: 3,800)."""


@dataclass
class MergeResult:
    """One vendored file brought up to upstream: its text before and after, and what was done."""

    original: bytes
    data: bytes
    mode: str
    plan: MergePlan
    """In ``replace`` mode: what was put back from the vendored file into upstream's."""
    drift: FileDrift = field(repr=False)
    """Vendored against upstream before the update (pins left out)."""

    @property
    def changed(self) -> bool:
        return self.data != self.original

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_side(source: SourceText, path: str, sha256: str = "",
              table: ConstantTable | None = None) -> tuple[Layout, ConstantTable]:
    """One reading gives both the layout the rewrite needs and the table the diff needs; a
    ``table`` already known for this very text (from the cache) is not extracted again."""
    # Every token takes a character at least, so only a long text needs counting (as in decode).
    tokens = (token_estimate(source.text.encode("utf-8", "surrogatepass"))
              if len(source.text) > MAX_REWRITE_TOKENS else 0)
    if tokens > MAX_REWRITE_TOKENS:
        raise DssyncError(f"too large to rewrite safely (about {tokens} tokens, the limit is "
                          f"{MAX_REWRITE_TOKENS})", path=path,
                          hint="dssync diff still reads it; merge by hand or split the module")
    from dssync._extract.extract import table_of
    from dssync._extract.parse import parse_module
    from dssync._extract.walk import Walk
    from dssync._rewrite.layout import build_layout

    module = parse_module(source.text, path)
    try:
        raws = Walk(module).bindings(where=table is None)
    except RecursionError:
        raise DssyncError("cannot read: too deeply nested", path=path,
                          hint="dssync refuses inputs it cannot read safely") from None
    return build_layout(module, raws), table if table is not None else table_of(raws, path, sha256)


def _parse_text(text: str, path: str) -> cst.Module:
    from dssync._extract.parse import parse_module

    return parse_module(text, path)


def _wants_newline(text: str) -> bool:
    # An empty file has no last line to end; what is added to it ends as lines do.
    return ends_with_newline(text) or not text.strip()


def _restyled(source: SourceText, newline: str) -> SourceText:
    return SourceText(with_newlines(source.text, newline), source.encoding, source.bom, newline)


def _apply(base: Layout, plan: MergePlan) -> cst.Module:
    from dssync._rewrite.change import ChangeValues
    from dssync._rewrite.insert import InsertConstants, after_removal
    from dssync._rewrite.remove import RemoveConstants

    holders = {id(slot.stmt.node) for slot in base.slots.values() if id(slot.value) in plan.values}
    holders |= {id(base.bodies[None][slot.stmt.body].node) for slot in base.slots.values()
                if id(slot.value) in plan.values and slot.stmt.body is not None}
    every = {id(stmt.node) for body in base.bodies.values() for stmt in body}
    module = base.module
    if plan.values or plan.statements:
        skip = frozenset(every - holders) if not plan.statements else frozenset()
        module = module.visit(ChangeValues({**plan.values, **plan.statements}, skip))
    module = module.visit(RemoveConstants(plan.remove, plan.remove_smalls))
    return module.visit(InsertConstants(after_removal(plan.insertions, plan.remove)))


@deeply
def merge(vendored: bytes, upstream: bytes, *, vendored_path: str = "vendored",
          upstream_path: str = "upstream", pins: Mapping[str, str] | None = None,
          select: Callable[[str], bool] | None = None, keep_removed: bool = False,
          mode: str = "merge", cache: Cache | None = None, base: bytes | None = None,
          base_path: str = "base", theirs: bool = False) -> MergeResult:
    """The vendored file's new bytes. Raises ``DssyncError`` for input that cannot be parsed or
    stored, never returns bytes that do not parse.

    With a ``cache`` holding both files' tables, a merge with nothing to apply parses nothing;
    the tables a merge reads are kept there for the next run.

    ``base``, the release the vendored file came from, makes it a three-way merge: local edits
    upstream did not touch stay, and constants changed on both sides are conflicts (ours kept,
    listed in ``plan.conflicts``) unless ``theirs``.
    """
    from dssync._diff.engine import diff_tables
    from dssync._extract.table_json import cached_table, store_table

    if mode not in MODES:
        raise DssyncError(f"unknown mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    pins = dict(pins or {})
    select = select or Selection()
    known = cached_table(vendored, vendored_path, cache)
    upstream_known = cached_table(upstream, upstream_path, cache) if known else None
    if mode == "merge":
        if known is not None and upstream_known is not None:
            drift = diff_tables(known, upstream_known, vendored=vendored_path,
                                upstream=upstream_path, pins=pins, renames=False,
                                place_added=False)
            if not (drift.added or drift.removed or any(c.kind == "value" for c in drift.changed)):
                return MergeResult(vendored, vendored, mode, MergePlan(), drift)
    v_src = decode_source(vendored, vendored_path)
    u_original = decode_source(upstream, upstream_path)
    u_src = _restyled(u_original, v_src.newline)
    v_sha, u_sha = hashlib.sha256(vendored).hexdigest(), hashlib.sha256(upstream).hexdigest()
    v_layout, v_table = read_side(v_src, vendored_path, v_sha, known)
    if known is None:
        store_table(v_table, cache)
    restyled = u_src.text != u_original.text
    u_layout, u_table = read_side(u_src, upstream_path, "" if restyled else u_sha,
                                  None if restyled else upstream_known)
    if upstream_known is None:
        store_table(u_table, cache)  # (a restyled text's table has no sha256: not stored)
    drift = diff_tables(v_table, u_table, vendored=vendored_path, upstream=upstream_path,
                        pins=pins, renames=False, place_added=False)  # the planner places them
    if mode == "merge":
        b_text, b_module = "", None
        if base is not None:
            b_original = decode_source(base, base_path)
            b_src = _restyled(b_original, v_src.newline)
            b_text = b_src.text
            b_known = cached_table(base, base_path, cache) if b_text == b_original.text else None
            if b_known is None:
                b_layout, b_table = read_side(b_src, base_path)
                b_module = b_layout.module
            else:
                b_table = b_known
            sides = settle(b_table, v_table, u_table, drift)
            decided = {**sides.keep, **({} if theirs else dict(sides.conflicts))}
            # What ours keeps is planned like a pin; the result still reports the whole drift.
            to_plan = diff_tables(v_table, u_table, vendored=vendored_path,
                                  upstream=upstream_path, pins={**pins, **decided},
                                  renames=False, place_added=False)
        plan = _merge_plan(v_layout, v_table, u_layout, u_table,
                           drift if base is None else to_plan, select, keep_removed,
                           Unbound(cache, v_sha, u_sha))
        if base is not None:
            plan.local = sorted(sides.keep)
            plan.conflicts = [] if theirs else sides.conflicts
        if plan.empty:
            return MergeResult(vendored, vendored, mode, plan, drift)
        from dssync._rewrite.docstrings import sync_docstrings

        assert plan.module is not None
        def read_base() -> cst.Module:
            """The base's module; with its table cached, parsed only if a class's fields need it."""
            if base is None:
                return v_layout.module
            return b_module if b_module is not None else _parse_text(b_text, base_path)

        module = sync_docstrings(plan.module, u_layout.module, read_base, v_layout.module)
        # libcst drops the final newline after a comment ending in a backslash; put it back.
        text = with_trailing_newline(module.code, _wants_newline(v_src.text), v_src.newline)
    else:
        text = with_trailing_newline(u_src.text, _wants_newline(v_src.text), v_src.newline)
        base_src = SourceText(text, u_src.encoding, u_src.bom, v_src.newline)
        b_layout, b_table = read_side(base_src, upstream_path)
        reverse = diff_tables(b_table, v_table, renames=False, place_added=False)

        def keep_local(name: str) -> bool:
            return name in pins or not select(name)

        plan = plan_merge(b_layout, b_table, v_layout, v_table, reverse,
                          select=keep_local)
        plan.skipped = []
        if not plan.empty:
            text = with_trailing_newline(_apply(b_layout, plan).code, ends_with_newline(text),
                                         v_src.newline)
    data = encode_source(text, v_src.bom, vendored_path)
    _check(data, vendored_path)
    return MergeResult(vendored, data, mode, plan, drift)


@dataclass(frozen=True)
class Unbound:
    """Where the names each side leaves unbound are kept: ``cache``, by the sha256 of the
    vendored file's and upstream's bytes."""

    cache: Cache | None
    ours: str
    theirs: str


def _merge_plan(v_layout: Layout, v_table: ConstantTable, u_layout: Layout, u_table: ConstantTable,
                drift: FileDrift, select: Callable[[str], bool], keep_removed: bool,
                kept: Unbound) -> MergePlan:
    """The plan, applied (``plan.module``), with every name the result uses bound: what binds it
    upstream is brought along, and a constant whose statement needs a name nothing brings in is
    left out (listed in ``plan.unresolved``) and the merge planned again without it."""
    from dssync._rewrite.names import resolve, surely_resolved, unbound_names

    unbound: dict[str, set[str]] = {}
    removing: set[str] = set()

    def allowed(names: set[str]) -> set[str]:
        """What upstream or the vendored file leaves unbound itself may stay so (upstream's
        analysed first: most such names are upstream's; the vendored file's only if needed).
        Not a module-level constant this merge removes: upstream may bind it in code the merge
        does not bring (``globals()[name] = ...`` in a loop), so the file would lose it."""
        if "theirs" not in unbound:
            unbound["theirs"] = unbound_names(u_layout.module, kept.theirs, kept.cache)
        fine = names & unbound["theirs"] - removing
        if names - fine and "ours" not in unbound:
            unbound["ours"] = unbound_names(v_layout.module, kept.ours, kept.cache)
        return fine | (names & unbound.get("ours", set()))

    left: dict[str, str] = {}
    while True:
        chosen = select if not left else (lambda n: select(n) and n not in left)
        plan = plan_merge(v_layout, v_table, u_layout, u_table, drift, select=chosen,
                          keep_removed=keep_removed)
        plan.skipped = [n for n in plan.skipped if n not in left]
        plan.unresolved = sorted(left.items())
        if plan.empty:
            return plan
        removing.clear()
        removing.update(n for n in plan.removed if "." not in n)
        module = _apply(v_layout, plan)
        new = [*plan.values.values(), *plan.statements.values(), *(i.node for i in plan.insertions)]
        if surely_resolved(module, new, plan.removed):
            plan.module = module
            return plan
        resolution = resolve(module, u_layout.module, allowed)
        if not resolution.blocked:
            plan.module, plan.brought = resolution.module, resolution.brought
            return plan
        more = _users(resolution, set(plan.changed + plan.added + plan.removed))
        if not set(more) - set(left):  # cannot be pinned on a constant: change nothing
            more = {n: "the merged file would use names nothing binds ("
                    f"{', '.join(sorted(resolution.blocked))})"
                    for n in plan.changed + plan.added + plan.removed}
        if not more:
            raise DssyncError("internal error: the merged file would use names nothing binds ("
                              f"{', '.join(sorted(resolution.blocked))}); nothing was written",
                              hint="please report this pair of files to the dssync developers")
        left.update(more)


def _users(resolution: Resolution, planned: set[str]) -> dict[str, str]:
    """The planned constants whose statements use a name left unbound, and why."""
    from dssync._extract.walk import Walk
    from dssync._rewrite.names import NOT_COMING, enclosing_statement, only_exported

    raws = Walk(resolution.module).bindings()
    out: dict[str, str] = {}
    for name, nodes in resolution.users.items():
        if name in planned:  # a removal: code that is not a constant still reads it
            out[name] = "upstream removed it, but this file still uses it outside its constants"
            continue
        uses = "exports" if only_exported(resolution.module, nodes) else "needs"
        why = (f"it refers to {name}, which is not being added"
               if resolution.blocked[name] == NOT_COMING
               else f"it {uses} {name}, but {resolution.blocked[name]}")
        for top, member in enclosing_statement(resolution.module, nodes):
            for raw in raws:
                if raw.site.top == top and (member is None or raw.site.member == member) \
                        and raw.name in planned:
                    out.setdefault(raw.name, why)
    return out


def _check(data: bytes, path: str) -> None:
    import warnings

    try:
        with warnings.catch_warnings():  # upstream's own oddities are not ours to print
            warnings.simplefilter("ignore")
            compile(data, path, "exec", dont_inherit=True)  # compiled, never run
    except (SyntaxError, ValueError) as exc:  # a bug in the merge: refuse to write a broken file
        raise DssyncError(f"internal error: the merged file would not parse ({exc});"
                          " nothing was written", path=path,
                          hint="please report this pair of files to the dssync developers") from None
