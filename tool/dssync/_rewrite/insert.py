"""Insert upstream's new statements, with their leading comments and banners, where the plan
says. When an inserted statement brings the very banner that heads the statement it is put
before, that statement gives its copy up: upstream moved the section's start, not copied it."""

from __future__ import annotations

from bisect import bisect_left
from typing import Sequence

import libcst as cst

from dssync._rewrite.plan import Insertion
from dssync._rewrite.sections import banner_text, split_leading
from dssync._rewrite.spacing import pep8_blank_lines


def after_removal(insertions: list[Insertion], remove: dict[int | None, set[int]]) -> list[Insertion]:
    """Positions given for the module as parsed, moved to the module after deletions."""
    ordered = {body: sorted(removed) for body, removed in remove.items()}

    def shift(body: int | None, position: int) -> int:
        return position - bisect_left(ordered.get(body, ()), position)  # deletions before it

    return [Insertion(None if i.body is None else shift(None, i.body), shift(i.body, i.position),
                      i.node, i.order, i.before) for i in insertions]


class InsertConstants(cst.CSTTransformer):
    """Adds upstream's new statements to the module's body and its classes' bodies, each at the
    place the plan chose."""

    def __init__(self, insertions: list[Insertion]) -> None:
        super().__init__()
        self.by_body: dict[int | None, list[Insertion]] = {}
        for ins in insertions:
            self.by_body.setdefault(ins.body, []).append(ins)

    def visit_Module(self, node: cst.Module) -> bool:
        return False  # only the module's and its classes' bodies change, all in leave_Module

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        stmts = list(updated_node.body)
        for ci, items in self.by_body.items():
            if ci is None:
                continue
            cls = stmts[ci]
            assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
            body = _place(cls.body.body, items, top_level=False)
            stmts[ci] = cls.with_changes(body=cls.body.with_changes(body=body))
        return updated_node.with_changes(body=_place(stmts, self.by_body.get(None, []), top_level=True))


def _place(stmts: Sequence[cst.BaseStatement], items: list[Insertion],
           top_level: bool) -> list[cst.BaseStatement]:
    at: dict[int, list[Insertion]] = {}
    for ins in sorted(items, key=lambda i: (i.position, i.order)):
        at.setdefault(ins.position, []).append(ins)
    out: list[cst.BaseStatement] = []
    placed: set[int] = set()
    for p in range(len(stmts) + 1):
        run = [ins.node for ins in at.get(p, [])]
        if run and p < len(stmts):
            run[0], following = _hand_over(run[0], stmts[p], any(i.before for i in at[p]))
        elif p < len(stmts):
            following = stmts[p]
        placed.update(range(len(out), len(out) + len(run)))
        out += run
        if p < len(stmts):
            out.append(following)
    return pep8_blank_lines(out, placed, top_level)


def _hand_over(inserted: cst.BaseStatement, following: cst.BaseStatement,
               before: bool) -> tuple[cst.BaseStatement, cst.BaseStatement]:
    """Split the lines above ``following`` between it and what is inserted above it."""
    brought = split_leading(inserted.leading_lines).banner  # type: ignore[attr-defined]
    lead = split_leading(following.leading_lines)  # type: ignore[attr-defined]
    same_banner = bool(brought) and banner_text(brought) == banner_text(lead.banner)
    if before:
        # Whatever separated or headed ``following`` now separates or heads the insertion.
        banner = () if same_banner else lead.banner
        own = list(inserted.leading_lines)  # type: ignore[attr-defined]
        while lead.blanks and own and own[0].comment is None:
            own.pop(0)
        lines = [*lead.blanks, *banner, *lead.detached, *own]
        return (inserted.with_changes(leading_lines=lines),
                following.with_changes(leading_lines=list(lead.own)))
    if same_banner:
        return inserted, following.with_changes(leading_lines=[*lead.detached, *lead.own])
    return inserted, following
