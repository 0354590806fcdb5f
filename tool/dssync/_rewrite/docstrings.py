"""Attribute docstrings travel with their fields.

In a class body, a bare string directly after an assignment documents that field (pydantic
and Sphinx read it so). After the merge has changed, added and removed fields, each field of a
class gets the docstring it should have: upstream's, unless the vendored file edited it since
the base (then ours stays). A docstring an insertion separated from its field goes back to it,
and an added field brings its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

_CODE = cst.Module([])


def field_name(stmt: cst.BaseStatement) -> str | None:
    """``x = v`` / ``x: T = v`` / ``x: T`` alone on its line: the field ``x``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value
    if isinstance(small, cst.Assign) and len(small.targets) == 1 \
            and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value
    return None


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _docstrings(cls: cst.ClassDef | None) -> dict[str, cst.BaseStatement | None]:
    """Field -> the docstring statement after it (None: it has none)."""
    out: dict[str, cst.BaseStatement | None] = {}
    if cls is None or not isinstance(cls.body, cst.IndentedBlock):
        return out
    body = cls.body.body
    for i, stmt in enumerate(body):
        name = field_name(stmt)
        if name is not None and name not in out:
            nxt = body[i + 1] if i + 1 < len(body) else None
            out[name] = nxt if nxt is not None and is_docstring(nxt) else None
    return out


def _classes(module: cst.Module) -> dict[str, cst.ClassDef]:
    out: dict[str, cst.ClassDef] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            out.setdefault(stmt.name.value, stmt)
    return out


def _text(stmt: cst.BaseStatement | None) -> str | None:
    return None if stmt is None else _CODE.code_for_node(stmt.body[0])  # type: ignore[attr-defined]


def sync_docstrings(module: cst.Module, upstream: cst.Module, base: Callable[[], cst.Module],
                    ours: cst.Module) -> cst.Module:
    """``module`` (the merge's result) with each field's docstring as it should be. ``base``
    gives the base's module, read only when a field of a class upstream has is documented on either side."""
    up, mine = _classes(upstream), _classes(ours)
    body = list(module.body)
    bs: dict[str, cst.ClassDef] | None = None
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.ClassDef) or not isinstance(stmt.body, cst.IndentedBlock):
            continue
        name = stmt.name.value
        if name not in up:
            continue
        up_docs, my_docs = _docstrings(up[name]), _docstrings(mine.get(name))
        if any(up_docs.values()) or any(my_docs.values()):
            bs = _classes(base()) if bs is None else bs
            based = _docstrings(bs.get(name))
        else:  # no field documented on either side: what the base had changes nothing
            based = {}
        wanted = _wanted(up_docs, based, my_docs)
        members = _with_docstrings(stmt.body.body, wanted)
        if members is not None:
            body[i] = stmt.with_changes(body=stmt.body.with_changes(body=members))
    return module.with_changes(body=body)


def _wanted(up: dict, base: dict, ours: dict) -> dict[str, cst.BaseStatement | None]:
    wanted = dict(ours)
    for name, doc in up.items():
        edited_here = name in ours and name in base and _text(ours[name]) != _text(base[name])
        if not edited_here:
            wanted[name] = doc
    return wanted


def _with_docstrings(members: Sequence[cst.BaseStatement],
                     wanted: dict[str, cst.BaseStatement | None]) -> list[cst.BaseStatement] | None:
    out: list[cst.BaseStatement] = []
    changed = False
    i = 0
    while i < len(members):
        stmt = members[i]
        out.append(stmt)
        i += 1
        name = field_name(stmt)
        if name is None or name not in wanted:
            continue
        have = members[i] if i < len(members) and is_docstring(members[i]) else None
        want = wanted[name]
        if have is not None:
            i += 1  # the docstring that follows is this field's, as it is or replaced
        if _text(have) == _text(want):
            if have is not None:
                out.append(have)
            continue
        changed = True
        if want is not None:
            lines = getattr(have, "leading_lines", ()) if have is not None else ()
            out.append(want.with_changes(leading_lines=lines))
    return out if changed else None
