"""Names read inside strings that pyflakes and type checkers take for annotations.

A quoted annotation (``x: "Foo"``, ``-> "Foo"``) and a string inside a subscript of a
``typing`` member (``typing.Union["Foo", None]``, ``Optional["Foo"]`` after ``from typing
import Optional``) are forward references: pyflakes reports the names they read as undefined
when nothing binds them, so a merge must bind them as it binds any name it uses. Strings inside
``Literal[...]``, and ``Annotated``'s metadata, are values, not references. Each string is
parsed with libcst, never evaluated.
"""

from __future__ import annotations

import libcst as cst

TYPING_MODULES = frozenset({"typing", "typing_extensions"})


def typing_names(module: cst.Module) -> tuple[frozenset[str], dict[str, str]]:
    """What ``module`` binds to typing: the modules' names (``typing``, ``t`` for ``import
    typing as t``) and its members' (bound name -> member, ``Opt`` -> ``Optional``)."""
    modules: set[str] = set()
    members: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value in TYPING_MODULES:
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            modules.add(bound.value)
            elif (isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name)
                  and small.module.value in TYPING_MODULES
                  and not isinstance(small.names, cst.ImportStar)):
                for alias in small.names:
                    if isinstance(alias.name, cst.Name):
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            members[bound.value] = alias.name.value
    return frozenset(modules), members


def forward_refs(node: cst.CSTNode, typing: tuple[frozenset[str], dict[str, str]]
                 ) -> list[tuple[cst.BaseString, str]]:
    """``(string, name)`` for each name a forward reference in ``node`` reads; ``typing`` is
    what the module binds to typing (``typing_names``)."""
    collector = _ForwardRefs(typing)
    node.visit(collector)
    return collector.found


class _ForwardRefs(cst.CSTVisitor):
    def __init__(self, typing: tuple[frozenset[str], dict[str, str]]) -> None:
        super().__init__()
        self.modules, self.members = typing
        self.found: list[tuple[cst.BaseString, str]] = []
        self.depth = 0
        """Above zero inside an annotation or a typing subscript: strings there are references."""

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self.depth += 1

    def leave_Annotation(self, original_node: cst.Annotation) -> None:
        self.depth -= 1

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        member = self._member(node.value)
        if member is None:
            return True
        if member == "Literal":
            return False  # its strings are values
        node.value.visit(self)
        self.depth += 1
        for i, element in enumerate(node.slice):
            if member == "Annotated" and i > 0:
                self.depth -= 1  # the metadata after the type: values
                element.visit(self)
                self.depth += 1
            else:
                element.visit(self)
        self.depth -= 1
        return False

    def visit_SimpleString(self, node: cst.SimpleString) -> bool:
        self._read(node)
        return False

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        self._read(node)
        return False

    def _member(self, value: cst.BaseExpression) -> str | None:
        if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) \
                and value.value.value in self.modules:
            return value.attr.value
        if isinstance(value, cst.Name):
            return self.members.get(value.value)
        return None

    def _read(self, node: cst.SimpleString | cst.ConcatenatedString) -> None:
        if not self.depth:
            return
        text = node.evaluated_value
        if not isinstance(text, str):
            return
        try:
            expression = cst.parse_expression(text.strip())
        except cst.ParserSyntaxError:
            return  # not an expression: pyflakes says so itself, and no name comes of it
        names = _Names()
        expression.visit(names)
        self.found += [(node, name) for name in sorted(names.read)]


class _Names(cst.CSTVisitor):
    """The names an expression reads: ``os.path`` reads ``os``."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.read.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False
