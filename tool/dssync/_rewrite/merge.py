"""Bring a vendored module to upstream's constants: decode, plan, transform, re-encode.

``merge`` keeps the vendored file and changes only drifted constants; ``replace`` takes
upstream's file and puts the pinned (and deselected) constants' local values back in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from dssync._extract.decode import SourceText, decode_source, token_estimate
from dssync._extract.gcpause import collector_paused
from dssync._rewrite.plan import MergePlan, Selection, plan_merge
from dssync._rewrite.textstyle import encode_source, ends_with_newline, with_newlines, with_trailing_newline
from dssync.errors import DssyncError
from dssync.models import ConstantTable, FileDrift

if TYPE_CHECKING:  # libcst is imported only when a file is read for rewriting
    from dssync._rewrite.layout import Layout
    from dssync.cache import Cache

MODES = ("merge", "replace")

MAX_REWRITE_TOKENS = 400_000
"""Reading a module is bounded piece by piece, but a rewrite holds libcst's tree of the whole
file, about 0.9 KB a token (130 MB measured for 144,000 tokens): at this bound some 360 MB.
Real constants modules are a few thousand tokens (DeepSpeed's runtime/constants.py: 3,800)."""


@dataclass
class MergeResult:
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


def read_side(source: SourceText, path: str, sha256: str = "") -> tuple[Layout, ConstantTable]:
    """One reading gives both the layout the rewrite needs and the table the diff needs."""
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
        raws = Walk(module).bindings()
    except RecursionError:
        raise DssyncError("cannot read: too deeply nested", path=path,
                          hint="dssync refuses inputs it cannot read safely") from None
    return build_layout(module, raws), table_of(raws, path, sha256)


def _wants_newline(text: str) -> bool:
    # An empty file has no last line to end; what is added to it ends as lines do.
    return ends_with_newline(text) or not text.strip()


def _restyled(source: SourceText, newline: str) -> SourceText:
    return SourceText(with_newlines(source.text, newline), source.encoding, source.bom, newline)


def _apply(base: Layout, plan: MergePlan) -> str:
    from dssync._rewrite.change import ChangeValues
    from dssync._rewrite.insert import InsertConstants, after_removal
    from dssync._rewrite.remove import RemoveConstants

    holders = {id(slot.stmt.node) for slot in base.slots.values() if id(slot.value) in plan.values}
    holders |= {id(base.bodies[None][slot.stmt.body].node) for slot in base.slots.values()
                if id(slot.value) in plan.values and slot.stmt.body is not None}
    every = {id(stmt.node) for body in base.bodies.values() for stmt in body}
    module = base.module
    if plan.values:
        module = module.visit(ChangeValues(plan.values, frozenset(every - holders)))
    module = module.visit(RemoveConstants(plan.remove, plan.remove_smalls))
    module = module.visit(InsertConstants(after_removal(plan.insertions, plan.remove)))
    return module.code


# libcst's trees hold no reference cycles, yet while they are built the cyclic collector walks
# every live node again and again: 40 % of an update of 10,000 lines, more for larger ones.
@collector_paused()
def merge(vendored: bytes, upstream: bytes, *, vendored_path: str = "vendored",
          upstream_path: str = "upstream", pins: Mapping[str, str] | None = None,
          select: Callable[[str], bool] | None = None, keep_removed: bool = False,
          mode: str = "merge", cache: Cache | None = None) -> MergeResult:
    """The vendored file's new bytes. Raises ``DssyncError`` for input that cannot be parsed or
    stored, never returns bytes that do not parse.

    With a ``cache`` holding both files' tables, a merge with nothing to apply parses nothing;
    the tables a merge reads are kept there for the next run.
    """
    from dssync._diff.engine import diff_tables
    from dssync._extract.table_json import cached_table, store_table

    if mode not in MODES:
        raise DssyncError(f"unknown mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    pins = dict(pins or {})
    select = select or Selection()
    if mode == "merge":
        known = cached_table(vendored, vendored_path, cache)
        upstream_known = cached_table(upstream, upstream_path, cache) if known else None
        if known is not None and upstream_known is not None:
            drift = diff_tables(known, upstream_known, vendored=vendored_path,
                                upstream=upstream_path, pins=pins, renames=False,
                                place_added=False)
            if not (drift.added or drift.removed or any(c.kind == "value" for c in drift.changed)):
                return MergeResult(vendored, vendored, mode, MergePlan(), drift)
    v_src = decode_source(vendored, vendored_path)
    u_original = decode_source(upstream, upstream_path)
    u_src = _restyled(u_original, v_src.newline)
    v_layout, v_table = read_side(v_src, vendored_path, hashlib.sha256(vendored).hexdigest())
    store_table(v_table, cache)
    restyled = u_src.text != u_original.text
    u_layout, u_table = read_side(u_src, upstream_path,
                                  "" if restyled else hashlib.sha256(upstream).hexdigest())
    store_table(u_table, cache)  # (a restyled text's table has no sha256: not stored)
    drift = diff_tables(v_table, u_table, vendored=vendored_path, upstream=upstream_path,
                        pins=pins, renames=False, place_added=False)  # the planner places them
    if mode == "merge":
        plan = plan_merge(v_layout, v_table, u_layout, u_table, drift, select=select,
                          keep_removed=keep_removed)
        if plan.empty:
            return MergeResult(vendored, vendored, mode, plan, drift)
        # libcst drops the final newline after a comment ending in a backslash; put it back.
        text = with_trailing_newline(_apply(v_layout, plan), _wants_newline(v_src.text),
                                     v_src.newline)
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
            text = with_trailing_newline(_apply(b_layout, plan), ends_with_newline(text),
                                         v_src.newline)
    data = encode_source(text, v_src.bom, vendored_path)
    _check(data, vendored_path)
    return MergeResult(vendored, data, mode, plan, drift)


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
