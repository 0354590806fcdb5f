"""Names resolve: a merged module uses no name that it leaves unbound, unless both the vendored
file and upstream already did.

After the planned changes are applied, libcst's scope analysis finds every name the result
uses without binding it. For each one new to the result, what binds it upstream is brought
along: its import (merged into an existing ``from x import ...`` of the same module, else placed
after the last import), or the class or function upstream defines for it (placed before the
first statement that uses it). That repeats until nothing new is missing. A name nothing
brings in is reported with the constants whose statements use it; the caller leaves those out.

A name listed in the module's ``__all__`` is used too (pyflakes reports an export nothing binds
as an undefined name): for such a name only an import is brought along, never a class or
function, since ``update`` brings constants, not the code upstream's ``__all__`` announces. So
are the names a forward reference reads (``typing.Union["Foo", None]``: ``forward_refs``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, ScopeProvider

from dssync._rewrite.forward_refs import forward_refs, typing_names
from dssync._rewrite.spacing import blank_lines_before, pep8_blank_lines

if TYPE_CHECKING:
    from dssync.cache import Cache

_MODULE_DUNDERS = frozenset({"__file__", "__name__", "__doc__", "__package__", "__loader__",
                             "__spec__", "__path__", "__builtins__", "__annotations__",
                             "__cached__", "__dict__", "__module__", "__qualname__"})
NOT_COMING = "upstream's constant of that name is not being added"
EXPORT_ONLY = "upstream defines it as a class or function, which update does not bring"
_MAX_ROUNDS = 20
"""Each round brings at least one binding; real modules settle in two or three."""


def missing_names(module: cst.Module) -> dict[str, list[cst.CSTNode]]:
    """Names ``module`` uses that nothing binds (builtins and module attributes count as bound),
    with the nodes that use them. ``module`` is analysed in place: the nodes are its own."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    out: dict[str, list[cst.CSTNode]] = {}
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            if access.referents:
                continue
            node = access.node
            name = node.value if isinstance(node, cst.Name) else None
            if name is None or name in _MODULE_DUNDERS:
                continue
            out.setdefault(name, []).append(node)
    bound = scopes[module]
    assert bound is not None
    # Read as pyflakes reads them: the names in __all__, and those quoted annotations read.
    quoted = forward_refs(module, typing_names(module))
    for node, name in [*exports(module), *quoted]:
        if name not in bound and name not in _MODULE_DUNDERS:
            out.setdefault(name, []).append(node)
    return out


UNBOUND_NAMESPACE = "unbound-names-1"
"""Where ``unbound_names`` keeps its answers; the number goes up whenever ``missing_names``
reads names differently (dssync's version is in the key too, but a development tree's version
does not change with its code)."""


def unbound_names(module: cst.Module, sha256: str, cache: Cache | None) -> set[str]:
    """The names ``module`` (parsed from bytes whose sha256 is ``sha256``) uses without binding
    them, kept in ``cache``: a scope analysis is most of a merge's time, and the vendored file
    and upstream's are the same texts on the next run (after a ``--dry-run``, say)."""
    if cache is None or not sha256:
        return set(missing_names(module))
    key = f"{_analysis_versions()}/{sha256}"
    kept = cache.read_json(UNBOUND_NAMESPACE, key)
    if isinstance(kept, list) and all(isinstance(name, str) for name in kept):
        return set(kept)
    names = set(missing_names(module))
    # Derived from content: lost to a crash, it is analysed again.
    cache.write_json(UNBOUND_NAMESPACE, key, sorted(names), durable=False)
    return names


@functools.lru_cache(maxsize=1)
def _analysis_versions() -> str:
    """What the analysis depends on besides the text: this reading of names (dssync's version)
    and libcst's scope analysis."""
    from importlib.metadata import version

    from dssync import __version__

    return f"dssync-{__version__}/libcst-{version('libcst')}"


def exports(module: cst.Module) -> list[tuple[cst.SimpleString, str]]:
    """The names the module's ``__all__`` lists, with their string nodes: assigned (``=``,
    ``+=``) or extended (``.extend``, ``.append``) at module level, as pyflakes reads them."""
    found: list[tuple[cst.SimpleString, str]] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            value: cst.BaseExpression | None = None
            if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target])
                if any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                    value = small.value
            elif (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
                  and isinstance(small.value.func, cst.Attribute)
                  and isinstance(small.value.func.value, cst.Name)
                  and small.value.func.value.value == "__all__"
                  and small.value.func.attr.value in ("extend", "append") and small.value.args):
                value = small.value.args[0].value
            elements = ([e.value for e in value.elements]
                        if isinstance(value, (cst.List, cst.Tuple)) else [value])
            for element in elements:
                if isinstance(element, cst.SimpleString):
                    name = element.evaluated_value
                    if isinstance(name, str):
                        found.append((element, name))
    return found


def only_exported(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> bool:
    """Whether every one of ``nodes`` is an entry of the module's ``__all__``."""
    listed = {id(node) for node, _ in exports(module)}
    return all(id(node) in listed for node in nodes)


@dataclass
class Resolution:
    """A merged module with the names it uses bound again: what was brought from upstream for
    them, and what could not be."""

    module: cst.Module
    brought: list[str] = field(default_factory=list)
    """What was brought along, for the summary: ``import os``, ``class ZenFlowConfig``."""
    blocked: dict[str, str] = field(default_factory=dict)
    """Name left unbound -> why nothing brings it in."""
    users: dict[str, list[cst.CSTNode]] = field(default_factory=dict)
    """Name left unbound -> the nodes of the result that use it."""


def resolve(module: cst.Module, upstream: cst.Module,
            allowed: Callable[[set[str]], set[str]]) -> Resolution:
    """``module`` with what upstream binds for each name it is missing; ``allowed(names)`` says
    which of ``names`` may stay unbound (those the vendored file or upstream leave unbound
    themselves): asked only when the result misses a name, as each side costs a scope analysis."""
    donors = _Binders(upstream)
    blocked: dict[str, str] = {}
    brought: list[str] = []
    tried: set[str] = set()
    missing: dict[str, list[cst.CSTNode]] = {}
    # The last analysis and the module it was made of: when nothing was brought after it, it
    # still says which nodes use the names left unbound (an analysis is most of a merge's time).
    analysed: tuple[cst.Module, dict[str, list[cst.CSTNode]]] | None = None
    for _ in range(_MAX_ROUNDS):
        analysed = (module, missing_names(module))
        found = {n: nodes for n, nodes in analysed[1].items() if n not in blocked}
        fine = allowed(set(found)) if found else set()
        missing = {n: nodes for n, nodes in found.items() if n not in fine}
        if not missing:
            break
        for name in sorted(missing):
            if name in tried:  # brought once already, and still not bound where it is used
                blocked[name] = "what upstream binds it with does not bind it where it is used"
                continue
            tried.add(name)
            stmt, how = donors.find(name)
            if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)) and only_exported(module,
                                                                                 missing[name]):
                stmt, how = None, EXPORT_ONLY
            if isinstance(stmt, cst.SimpleStatementLine):
                prefix = _rewritten_prefix(module, stmt)
                if prefix is not None:
                    stmt, how = None, (f"upstream imports it absolutely ({how}), where this file "
                                       f"imports that project from {prefix}: adapt the import")
            if stmt is None:
                blocked[name] = how
                continue
            if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)):
                first = _first_user(module, missing[name])
                late = _read_before_bound(module, stmt, first)
                if late:
                    blocked[name] = (f"its annotations read {', '.join(sorted(late))}, bound "
                                     "only below where it would go (this file does not "
                                     "postpone annotations with 'from __future__ import "
                                     "annotations')")
                    continue
                module = _place_definition(module, stmt, first)
            else:
                module = _place_import(module, stmt, name, missing[name])
            brought.append(how)
            break  # node identities changed: analyse again
        else:
            break  # every missing name is blocked
    else:
        blocked.update({n: "too many names to bring along" for n in missing if n not in blocked})
    users: dict[str, list[cst.CSTNode]] = {}
    if blocked:
        unbound = (analysed[1] if analysed is not None and analysed[0] is module
                   else missing_names(module))
        users = {n: nodes for n, nodes in unbound.items() if n in blocked}
    return Resolution(module, brought, blocked, users)


class _Binders:
    """Upstream's module-level statements that bind a name: imports, classes, functions."""

    def __init__(self, upstream: cst.Module) -> None:
        self.by_name: dict[str, cst.BaseStatement] = {}
        self.elsewhere: set[str] = set()
        self.assigned: set[str] = set()
        """Names upstream assigns: its constants, which come in by the plan or not at all."""
        for stmt in upstream.body:
            if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)):
                self.by_name.setdefault(stmt.name.value, stmt)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        for bound in bound_by_import(small):
                            self.by_name.setdefault(bound, only_small(stmt, small))
                    else:
                        self.assigned |= _small_bindings([small])
            else:
                self.elsewhere |= _bound_anywhere(stmt)

    def find(self, name: str) -> tuple[cst.BaseStatement | None, str]:
        stmt = self.by_name.get(name)
        if stmt is None:
            if name in self.assigned:
                return None, NOT_COMING
            if name in self.elsewhere:
                return None, "upstream binds it only inside an if/try block"
            return None, "upstream does not bind it in this module"
        if isinstance(stmt, cst.ClassDef):
            return stmt, f"class {name}"
        if isinstance(stmt, cst.FunctionDef):
            return stmt, f"def {name}"
        return stmt, cst.Module([]).code_for_node(import_of(stmt, name)).strip()


def _dotted(node: cst.BaseExpression) -> list[str]:
    return cst.Module([]).code_for_node(node).replace(" ", "").split(".")


def _rewritten_prefix(module: cst.Module, line: cst.SimpleStatementLine) -> str | None:
    """Where ``module`` imports the project an absolute import of upstream's (``line``) names,
    when that is under another package: a vendored copy whose imports were rewritten
    (``from pip._vendor import urllib3`` for upstream's ``from urllib3 import ...``) must not
    get the absolute one, which would import another copy, or none."""
    small = line.body[0]
    if isinstance(small, cst.ImportFrom):
        if small.relative or small.module is None:
            return None
        top = _dotted(small.module)[0]
    elif isinstance(small, cst.Import):
        top = _dotted(small.names[0].name)[0]
    else:
        return None
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for other in stmt.body:
            paths: list[list[str]] = []
            if isinstance(other, cst.ImportFrom) and not other.relative and other.module is not None:
                base = _dotted(other.module)
                paths.append(base)
                if not isinstance(other.names, cst.ImportStar):
                    paths += [base + _dotted(alias.name) for alias in other.names]
            elif isinstance(other, cst.Import):
                paths += [_dotted(alias.name) for alias in other.names]
            for path in paths:
                if top in path[1:]:
                    return ".".join(path[:path.index(top, 1)])
    return None


def bound_by_import(small: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(small.names, cst.ImportStar):
        return []
    out = []
    for alias in small.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            out.append(alias.asname.name.value)
        elif isinstance(small, cst.Import):
            out.append(cst.Module([]).code_for_node(alias.name).split(".")[0])
        elif isinstance(alias.name, cst.Name):
            out.append(alias.name.value)
    return out


def _bound_anywhere(stmt: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    stmt.visit(_Collect())
    return found


def only_small(line: cst.SimpleStatementLine, small: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return line.with_changes(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])


def import_of(line: cst.BaseStatement, name: str) -> cst.SimpleStatementLine:
    """Upstream's import line, reduced to the one alias that binds ``name``."""
    assert isinstance(line, cst.SimpleStatementLine)
    small = line.body[0]
    assert isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar)
    aliases = [a for a in small.names if bound_by_import(small.with_changes(names=[a])) == [name]]
    alias = aliases[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    reduced = small.with_changes(names=[alias], lpar=None, rpar=None) if isinstance(small, cst.ImportFrom) \
        else small.with_changes(names=[alias])
    return cst.SimpleStatementLine([reduced], leading_lines=[])


def _same_source(a: cst.ImportFrom, b: cst.ImportFrom) -> bool:
    code = cst.Module([]).code_for_node
    return (len(a.relative) == len(b.relative) and a.module is not None and b.module is not None
            and code(a.module) == code(b.module))


def _place_import(module: cst.Module, upstream_line: cst.BaseStatement, name: str,
                  users: list[cst.CSTNode]) -> cst.Module:
    """After the last import above the first module-level statement that uses the name (merged
    into a ``from`` import of the same module there, if any), else after the docstring: a
    module-level statement runs with only what is bound above it."""
    line = import_of(upstream_line, name)
    wanted = line.body[0]
    body = list(module.body)
    first_user = _first_user(module, users)
    last_import = None
    for i, stmt in enumerate(body[:first_user]):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for j, small in enumerate(stmt.body):
            if not isinstance(small, (cst.Import, cst.ImportFrom)):
                continue
            last_import = i
            if (isinstance(wanted, cst.ImportFrom) and isinstance(small, cst.ImportFrom)
                    and not isinstance(small.names, cst.ImportStar) and _same_source(small, wanted)):
                assert not isinstance(wanted.names, cst.ImportStar)
                names = list(small.names)
                names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                extended = small.with_changes(names=[*names, wanted.names[0]])
                smalls = list(stmt.body)
                smalls[j] = extended
                body[i] = stmt.with_changes(body=smalls)
                return module.with_changes(body=body)
    if last_import is not None:
        at = last_import + 1
        body.insert(at, line)
    else:
        at = _after_header(module)
        body.insert(at, line.with_changes(leading_lines=[cst.EmptyLine()] if at else []))
    if at + 1 < len(body) and not _is_import(body[at + 1]) and not blank_lines_before(body[at + 1]):
        body[at + 1] = body[at + 1].with_changes(leading_lines=[cst.EmptyLine(), *body[at + 1].leading_lines])
    return module.with_changes(body=body)


def _is_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _after_header(module: cst.Module) -> int:
    """After the module docstring (and ``from __future__`` imports, which are imports)."""
    body = module.body
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return 1
    return 0


def _first_user(module: cst.Module, users: list[cst.CSTNode]) -> int:
    """The index of the first module-level statement holding one of ``users`` (the length of
    the body if none does)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = wrapper.resolve(ParentNodeProvider)
    tops = {id(stmt): i for i, stmt in enumerate(module.body)}
    first = len(module.body)
    for node in users:
        while id(node) not in tops and node in parents:
            node = parents[node]
        first = min(first, tops.get(id(node), first))
    return first


def _read_before_bound(module: cst.Module, definition: cst.ClassDef | cst.FunctionDef,
                       first: int) -> set[str]:
    """Names the annotations of ``definition`` read that ``module`` binds only below where it
    would be placed, before the module-level statement ``first``: evaluated when the class or
    function is made, they would fail there (pyflakes reports them), unless the module
    postpones annotations."""
    if _postpones_annotations(module):
        return set()
    read: set[str] = set()

    class _Annotations(cst.CSTVisitor):
        def visit_Annotation(self, node: cst.Annotation) -> bool:
            read.update(_read_names(node.annotation))
            return False

    definition.visit(_Annotations())
    return (read & _module_bindings(module.body[first:])) - _module_bindings(module.body[:first])


def _postpones_annotations(module: cst.Module) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) \
                        and small.module.value == "__future__" \
                        and not isinstance(small.names, cst.ImportStar) \
                        and any(isinstance(a.name, cst.Name) and a.name.value == "annotations"
                                for a in small.names):
                    return True
    return False


def _place_definition(module: cst.Module, definition: cst.BaseStatement,
                      first: int) -> cst.Module:
    """Before ``first``, the first module-level statement that uses the name: a class or
    function must be bound before a module-level statement runs that refers to it."""
    body: list[cst.BaseStatement] = list(module.body)
    body.insert(first, definition)
    return module.with_changes(body=pep8_blank_lines(body, {first}, top_level=True))


def surely_resolved(module: cst.Module, new: list[cst.CSTNode], removed: list[str]) -> bool:
    """Whether a plain reading of names already shows that ``module`` needs no scope analysis:
    every name the new nodes read is a builtin or bound at module level, and no removed
    constant's name is still written anywhere as a name. (Scope analysis costs four times what
    the rest of a merge of DeepSpeed's runtime/constants.py does; most updates change literals.)
    Both readings over-count, so a doubt always leads to the full analysis."""
    import builtins

    used: set[str] = set()
    typing = typing_names(module)
    for node in new:
        used |= _read_names(node) | {name for _, name in forward_refs(node, typing)}
    bound = _module_bindings(module.body) | set(dir(builtins))
    if not used <= bound or not {name for _, name in exports(module)} <= bound | _MODULE_DUNDERS:
        return False
    gone = {name.rsplit(".", 1)[-1] for name in removed}
    if not gone:
        return True
    code = module.code
    # A name not even written as text is surely not written as a name: no tokenizing then.
    return not any(name in code for name in gone) or not gone & _name_tokens(code)


def _read_names(node: cst.CSTNode) -> set[str]:
    """Names ``node`` may read (over-counted: parameters and comprehension targets too)."""
    found: set[str] = set()

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)  # ``os.sep`` reads os, not sep
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)  # a keyword is no read
            return False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
            return not isinstance(node.target, cst.Name)  # ``X = ...`` binds X

        def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
            if not isinstance(node.target, cst.Name):
                return True
            node.annotation.visit(self)
            if node.value is not None:
                node.value.visit(self)
            return False

    node.visit(_Reads())
    return found


def _name_tokens(text: str) -> set[str]:
    """Every identifier written in ``text`` outside strings and comments (a tokenizer pass is
    some twenty times quicker than a libcst visitor over the module)."""
    import io
    import tokenize

    try:
        return {tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                if tok.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError):
        return {"", *text.split()}  # cannot happen for text libcst wrote; doubt anyway


def _targets(node: cst.BaseExpression) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return {n for element in node.elements for n in _targets(element.value)}
    if isinstance(node, cst.StarredElement):
        return _targets(node.value)
    return set()


def _module_bindings(body: Sequence[cst.BaseStatement]) -> set[str]:
    """Names the statements of ``body`` bind at its level: in blocks (``if``, ``try``, ``for``,
    ``with``) too, not in function or class bodies. A direct walk: libcst's visitor dispatch
    over every node of the module cost more than the merge it guards."""
    found: set[str] = set()
    for stmt in body:
        if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)):
            found.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            found |= _small_bindings(stmt.body)
        elif isinstance(stmt, cst.BaseCompoundStatement):
            if isinstance(stmt, cst.For):
                found |= _targets(stmt.target)
            if isinstance(stmt, cst.With):
                found |= {n for item in stmt.items if item.asname is not None
                          for n in _targets(item.asname.name)}
            if isinstance(stmt, (cst.Try, cst.TryStar)):
                found |= {h.name.name.value for h in stmt.handlers
                          if h.name is not None and isinstance(h.name.name, cst.Name)}
            for suite in _suites(stmt):
                if isinstance(suite, cst.IndentedBlock):
                    found |= _module_bindings(suite.body)
                elif isinstance(suite, cst.SimpleStatementSuite):
                    found |= _small_bindings(suite.body)
    return found


def _small_bindings(smalls: Sequence[cst.BaseSmallStatement]) -> set[str]:
    found: set[str] = set()
    for small in smalls:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            found.update(bound_by_import(small))
        elif isinstance(small, cst.Assign):
            found |= {n for target in small.targets for n in _targets(target.target)}
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            found |= _targets(small.target)
    return found


def _suites(stmt: cst.BaseCompoundStatement) -> list[cst.BaseSuite]:
    suites = [stmt.body]
    orelse = getattr(stmt, "orelse", None)
    while isinstance(orelse, cst.If):  # elif
        suites.append(orelse.body)
        orelse = orelse.orelse
    if orelse is not None:
        suites.append(orelse.body)
    suites += [h.body for h in getattr(stmt, "handlers", ())]
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        suites.append(final.body)
    return suites


def enclosing_statement(module: cst.Module, nodes: list[cst.CSTNode]) -> set[tuple[int, int | None]]:
    """(module index, class member index or None) of the statements holding ``nodes``."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = wrapper.resolve(ParentNodeProvider)
    tops = {id(stmt): i for i, stmt in enumerate(module.body)}
    members: dict[int, tuple[int, int]] = {}
    for i, stmt in enumerate(module.body):
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for k, inner in enumerate(stmt.body.body):
                members[id(inner)] = (i, k)
    out: set[tuple[int, int | None]] = set()
    for node in nodes:
        while node in parents and id(node) not in members and id(node) not in tops:
            node = parents[node]
        if id(node) in members:
            out.add(members[id(node)])
        elif id(node) in tops:
            out.add((tops[id(node)], None))
    return out
