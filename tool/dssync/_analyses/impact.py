"""Find where consuming code uses given constants of given modules, with libcst.

Recognised, in any scope of a file (imports inside functions are common):

- ``from M import NAME`` and ``from M import NAME as N``: the import, and each later ``N``;
- ``from P import constants [as c]``, ``import M as c``: each ``c.NAME``;
- ``import a.b.constants``: each ``a.b.constants.NAME``;
- ``from M import *``: each bare ``NAME`` the file does not bind itself, as a *possible* use
  (the name might come from another star import);
- class-level constants, ``Class.NAME``, reached through any of the above.

Relative imports are resolved against the file's position under the scan root. Nothing is
imported or run; a file that cannot be parsed is skipped and reported. This module imports
libcst: ``consumers`` imports it only for a file it has to parse.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import libcst as cst
import libcst.metadata as md
from libcst.helpers import get_full_name_for_node

from dssync._extract.parse import parse_module
from dssync._extract.stack import deeply
from dssync._extract.positions import record
from dssync._analyses.consumers import Use
from dssync._analyses.modules import ModuleTarget, best_target, resolve_relative


def _import_statements(node: cst.CSTNode) -> Iterator[Any]:
    """Every ``import`` statement in any scope: imports are statements, so the search goes
    through bodies and blocks only, never into expressions (most of a file's nodes)."""
    for child in node.children:
        t = type(child)
        if t is cst.Import or t is cst.ImportFrom:
            yield child
        elif not isinstance(child, (cst.BaseExpression, cst.BaseSmallStatement)):
            yield from _import_statements(child)


class _Imports:
    """First pass: what each local name stands for."""

    def __init__(self, targets: Sequence[ModuleTarget], package: str) -> None:
        self.targets = targets
        self.package = package
        self.names: dict[str, tuple[ModuleTarget, str]] = {}
        """local name -> (file, constant or class name) from ``from M import NAME``."""
        self.modules: dict[str, ModuleTarget] = {}
        """local dotted name -> file, for ``import M as c`` / ``from P import constants``."""
        self.stars: list[ModuleTarget] = []
        self.import_sites: list[tuple[cst.ImportAlias, ModuleTarget, str]] = []

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = get_full_name_for_node(alias.name)
            if not full:
                continue
            target = best_target(full, self.targets)
            if target is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.modules[alias.asname.name.value] = target
            else:
                self.modules[full] = target
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = get_full_name_for_node(node.module) if node.module is not None else None
        absolute = resolve_relative(module, len(node.relative), self.package)
        if absolute is None:
            return False
        here = best_target(absolute, self.targets)
        if isinstance(node.names, cst.ImportStar):
            if here is not None:
                self.stars.append(here)
            return False
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if not name:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if here is not None:
                self.names[local] = (here, name)
                self.import_sites.append((alias, here, name))
                continue
            sub = best_target(f"{absolute}.{name}", self.targets)
            if sub is not None:
                self.modules[local] = sub
        return False


class _Uses(cst.CSTVisitor):
    """Second pass: every place a wanted constant is read (positions are found afterwards,
    for these nodes only)."""

    METADATA_DEPENDENCIES = (md.ExpressionContextProvider,)

    def __init__(self, imports: _Imports, wanted: Mapping[str, set[str]], bound: set[str]) -> None:
        self.imports = imports
        self.wanted = wanted
        self.bound = bound
        self.found: list[tuple[cst.CSTNode, str, str, bool, str]] = []

    def _add(self, node: cst.CSTNode, target: ModuleTarget, name: str, how: str,
             certain: bool = True) -> None:
        self.found.append((node, target.key, name, certain, how))

    def _is_wanted(self, target: ModuleTarget, name: str) -> bool:
        return name in self.wanted.get(target.key, ())

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        for alias, target, name in self.imports.import_sites:
            if any(alias is a for a in (node.names if isinstance(node.names, Sequence) else ())):
                if self._is_wanted(target, name):
                    self._add(alias, target, name, "import")
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # the keyword is a parameter name, not a use
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        full = get_full_name_for_node(node)
        if full is not None and self._attribute(node, full):
            return False
        node.value.visit(self)  # ``.attr`` is never a use on its own
        return False

    def _attribute(self, node: cst.Attribute, full: str) -> bool:
        parts = full.split(".")
        for k in (1, 2):  # NAME, or Class.NAME
            if len(parts) <= k:
                break
            prefix, name = ".".join(parts[:-k]), ".".join(parts[-k:])
            target = self.imports.modules.get(prefix)
            if target is not None and self._is_wanted(target, name):
                self._add(node, target, name, "attribute")
                return True
            bound = self.imports.names.get(prefix)
            if bound is not None and self._is_wanted(bound[0], f"{bound[1]}.{name}"):
                self._add(node, bound[0], f"{bound[1]}.{name}", "name")
                return True
        return False

    def visit_Name(self, node: cst.Name) -> None:
        context = self.get_metadata(md.ExpressionContextProvider, node, None)
        if context != md.ExpressionContext.LOAD:
            return
        bound = self.imports.names.get(node.value)
        if bound is not None:
            if self._is_wanted(*bound):
                self._add(node, bound[0], bound[1], "name")
            return
        if node.value in self.bound or node.value in self.imports.modules:
            return
        for target in self.imports.stars:
            if self._is_wanted(target, node.value):
                self._add(node, target, node.value, "star", certain=False)
                return


class _Bound(cst.CSTVisitor):
    """Names the file binds itself (assignments, defs, parameters): not from a star import."""

    METADATA_DEPENDENCIES = (md.ExpressionContextProvider,)

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        if self.get_metadata(md.ExpressionContextProvider, node, None) == md.ExpressionContext.STORE:
            self.names.add(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.add(node.name.value)

    def visit_Param(self, node: cst.Param) -> None:
        self.names.add(node.name.value)


@deeply
def scan_source(text: str, path: str, package: str, targets: Sequence[ModuleTarget],
                wanted: Mapping[str, set[str]]) -> list[Use]:
    """Uses of ``wanted`` (target key -> constant names) in one module's text.

    Raises ``DssyncError`` for text that is not Python (or cannot be parsed safely), and
    ``RecursionError`` for a tree too deep to walk.
    """
    module = parse_module(text, path)
    imports = _Imports(targets, package)
    for statement in _import_statements(module):
        if type(statement) is cst.Import:
            imports.visit_Import(statement)
        else:
            imports.visit_ImportFrom(statement)
    if not (imports.names or imports.modules or imports.stars):
        return []
    wrapper = md.MetadataWrapper(module, unsafe_skip_copy=True)
    bound = _Bound()
    if imports.stars:
        wrapper.visit(bound)
    # Names imported from a wanted module are bound by the import, not by the file.
    bound.names -= set(imports.names)
    uses = _Uses(imports, wanted, bound.names)
    wrapper.visit(uses)
    spans = record(module, {id(node) for node, *_ in uses.found})
    lines = text.splitlines()
    out = []
    for node, key, name, certain, how in uses.found:
        line = spans.line(node)
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        out.append(Use(path, line, spans.column(node) + 1, key, name, certain, how, code))
    return sorted(out, key=lambda u: (u.line, u.column))
