"""Build a module's constant table from its bytes, with the standard library's ``ast``.

Reading needs no concrete syntax tree: positions and the source text give each value as
written, and ``ast.parse`` is some twenty times faster than libcst's parser, which is only
imported by ``update`` to rewrite a file."""

from __future__ import annotations

import ast
import hashlib
import warnings
from typing import Iterable, Iterator

from dssync._extract.collect import BindingCollector, RawBinding, sites
from dssync._extract.decode import SourceText, decode_source
from dssync._extract.evaluate import literal_value
from dssync._extract.resolve import Resolver, references
from dssync._extract.slices import SourceSlicer
from dssync.errors import DssyncError
from dssync.models import Augment, Binding, Constant, ConstantTable


def parse_ast(source: SourceText, path: str) -> ast.Module:
    """The standard AST of a module, or one clear error naming where it fails to parse."""
    try:
        with warnings.catch_warnings():
            # Python's warnings about upstream's code (invalid escapes, ``1if``) are not ours
            # to print: the report is the one place dssync speaks about upstream.
            warnings.simplefilter("ignore")
            return ast.parse(source.text, filename=path)
    except SyntaxError as exc:
        raise DssyncError(
            f"not valid Python: {exc.msg}",
            path=path,
            line=exc.lineno,
            column=exc.offset,
            hint="fix the syntax error (or check that this is the right file)",
        ) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="dssync refuses inputs Python itself cannot compile") from None


def raw_bindings(source: SourceText, path: str) -> Iterator[RawBinding]:
    """Every binding in the module, in source order."""
    tree = parse_ast(source, path)
    return BindingCollector(SourceSlicer(source.text)).collect(sites(tree.body))


def normalize(node: ast.expr, source: str) -> str:
    """The canonical text of a value: ``ast.unparse``, which drops formatting and quote style.

    A few values cannot be unparsed (an integer too long to print in decimal); their source
    text with white space folded stands in, so they still compare by what was written.
    """
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError):
        return "<source> " + " ".join(source.split())


def build_constants(raw: Iterable[RawBinding]) -> tuple[dict[str, Constant], dict[str, ast.expr]]:
    """Group raw bindings by name: the last one wins; augments after it modify it."""
    bindings: dict[str, list[Binding]] = {}
    augments: dict[str, list[Augment]] = {}
    nodes: dict[str, ast.expr] = {}
    order: dict[str, int] = {}
    deleted: set[str] = set()
    for position, rb in enumerate(raw):
        if rb.kind == "delete":
            if not rb.conditional and rb.name in bindings:
                deleted.add(rb.name)
            continue
        normalized = normalize(rb.value, rb.source)
        nodes.setdefault(normalized, rb.value)
        if rb.kind == "bind":
            bindings.setdefault(rb.name, []).append(
                Binding(rb.line, rb.end_line, rb.source, normalized, rb.conditional, rb.index,
                        literal_value(rb.value))
            )
            augments[rb.name] = []
            order[rb.name] = position
            deleted.discard(rb.name)
        elif rb.name in bindings and rb.name not in deleted:
            augments[rb.name].append(Augment(rb.line, rb.op, rb.source, normalized))
    # ``del X`` at module level (a helper cleaned up after use) leaves no constant X behind.
    ordered = sorted((n for n in bindings if n not in deleted),
                     key=lambda n: (bindings[n][-1].line, order[n]))
    constants: dict[str, Constant] = {}
    known = dict.fromkeys(ordered)
    for name in ordered:
        binding = bindings[name][-1]
        scope = name.rpartition(".")[0] or None
        refs = references(nodes[binding.normalized], scope, known)
        refs = tuple(r for r in refs if r != name)
        constants[name] = Constant(name, binding, refs, tuple(bindings[name]), tuple(augments[name]))
    return constants, nodes


def extract_table(data: bytes, path: str) -> ConstantTable:
    source = decode_source(data, path)
    constants, nodes = build_constants(raw_bindings(source, path))
    table = ConstantTable(path=path, constants=constants, sha256=hashlib.sha256(data).hexdigest())
    table.resolved = Resolver(constants, nodes).resolve_all()
    return table
