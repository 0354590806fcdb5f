"""Delete removed constants' statements with the comments that belong to them alone.

A deleted statement's own comments (directly above it) and trailing comment go with it. Its
section banner goes only when nothing of the section stays; otherwise the banner, and any
detached comment, moves down onto the next statement that stays. The blank lines that set the
deleted run apart are handed to that statement too, unless it has its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from dssync._rewrite.sections import comments_only, is_blank, opens_section, split_leading


@dataclass
class _Carry:
    """The leading lines of a deleted run still owed to the next statement that stays."""

    blanks: tuple[cst.EmptyLine, ...]
    kept: list[cst.EmptyLine] = field(default_factory=list)

    def onto(self, lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
        if not self.kept and lines and is_blank(lines[0]):
            return list(lines)
        return [*self.blanks, *self.kept, *lines]


def drop_smalls(line: cst.SimpleStatementLine, smalls: set[int]) -> cst.SimpleStatementLine:
    body = [s for j, s in enumerate(line.body) if j not in smalls]
    body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return line.with_changes(body=body)


class RemoveConstants(cst.CSTTransformer):
    """Deletes whole statements, or some small statements of a line, from the module's body and
    its classes' bodies; a section banner or detached comment that still heads something that
    stays moves down onto it."""

    def __init__(self, remove: dict[int | None, set[int]],
                 remove_smalls: dict[tuple[int | None, int], set[int]]) -> None:
        super().__init__()
        self.remove = remove
        self.remove_smalls = remove_smalls

    def visit_Module(self, node: cst.Module) -> bool:
        return False  # only the module's and its classes' bodies change, all in leave_Module

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        touched = {key for key in self.remove if key is not None}
        touched |= {body for body, _ in self.remove_smalls if body is not None}
        stmts = list(updated_node.body)
        for ci in touched:
            cls = stmts[ci]
            assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
            inner, leftover = self._prune(cls.body.body, ci)
            block = cls.body.with_changes(body=inner, footer=[*leftover, *cls.body.footer])
            stmts[ci] = cls.with_changes(body=block)
        body, leftover = self._prune(stmts, None)
        return updated_node.with_changes(body=body, footer=[*leftover, *updated_node.footer])

    def _prune(self, stmts: Sequence[cst.BaseStatement], key: int | None
               ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        gone = self.remove.get(key, set())
        out: list[cst.BaseStatement] = []
        carry: _Carry | None = None
        for i, stmt in enumerate(stmts):
            smalls = self.remove_smalls.get((key, i))
            if smalls:
                stmt = drop_smalls(stmt, smalls)  # type: ignore[arg-type]
            if i in gone:
                lead = split_leading(stmt.leading_lines)  # type: ignore[attr-defined]
                if carry is None:
                    carry = _Carry(lead.blanks)
                if lead.banner and _section_survives(stmts, gone, i):
                    carry.kept += lead.banner
                carry.kept += comments_only(lead.detached)
                continue
            if carry is not None:
                stmt = stmt.with_changes(leading_lines=carry.onto(stmt.leading_lines))  # type: ignore[attr-defined]
                carry = None
            out.append(stmt)
        return out, (comments_only(carry.kept) if carry is not None else [])


def _section_survives(stmts: Sequence[cst.BaseStatement], gone: set[int], i: int) -> bool:
    for k in range(i + 1, len(stmts)):
        if opens_section(stmts[k]):
            return False
        if k not in gone:
            return True
    return False
