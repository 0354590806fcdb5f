"""Hypothesis strategies for constants modules, their reformattings and their edits.

A module is generated as a model (``Module``: ordered statements binding names to values, some
inside classes) and rendered to Python source. The same model can be rendered canonically or
through a ``Layout`` that takes random but meaning-preserving choices: quote style, implicit
string concatenation, hex and underscore integers, extra parentheses, containers wrapped one
element per line with trailing commas and comments, blank lines, comment lines, annotations,
semicolons and backslash continuations. The model also knows each constant's value, so tests
can check what dssync resolves against an oracle that never looks at dssync's code.

Profiles: ``ci`` (200 examples a test) is the default; ``HYPOTHESIS_PROFILE=nightly`` gives
10000. Test modules call ``load_profile()``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "nightly",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def load_profile() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    settings.load_profile(name)
    return name


# --- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A reference to another constant: ``NAME`` or ``Class.NAME``."""

    name: str


@dataclass(frozen=True)
class SetLit:
    """A set display; its items keep one order so every rendering normalizes the same."""

    items: tuple


@dataclass(frozen=True)
class Const:
    name: str
    """Unqualified: the class, if any, is the statement's scope."""
    value: Any


@dataclass(frozen=True)
class ClassDef:
    name: str
    body: tuple[Const, ...]


@dataclass(frozen=True)
class Module:
    body: tuple  # of Const and ClassDef

    def constants(self) -> dict[str, Any]:
        """Qualified name -> model value (with Refs), in source order."""
        out: dict[str, Any] = {}
        for stmt in self.body:
            if isinstance(stmt, ClassDef):
                for c in stmt.body:
                    out[f"{stmt.name}.{c.name}"] = c.value
            else:
                out[stmt.name] = stmt.value
        return out

    def resolved(self) -> dict[str, Any]:
        """Each constant's Python value, references followed (the oracle)."""
        model = self.constants()
        values: dict[str, Any] = {}
        for name, value in model.items():
            values[name] = evaluate(value, values)
        return values


def evaluate(value: Any, known: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return known[value.name]
    if isinstance(value, SetLit):
        return frozenset(evaluate(v, known) for v in value.items)
    if isinstance(value, list):
        return [evaluate(v, known) for v in value]
    if isinstance(value, tuple):
        return tuple(evaluate(v, known) for v in value)
    if isinstance(value, dict):
        return {k: evaluate(v, known) for k, v in value.items()}
    return value


def strictly_equal(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (``1 == True`` does not count)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(strictly_equal(a[k], b[k]) for k in a)
    return a == b


# --- rendering ---------------------------------------------------------------------------


class Layout:
    """Formatting choices; with no ``rnd`` every choice is the canonical one."""

    def __init__(self, rnd: random.Random | None = None) -> None:
        self.rnd = rnd

    def chance(self, p: float) -> bool:
        return self.rnd is not None and self.rnd.random() < p

    def choice(self, options: list):
        return options[0] if self.rnd is None else self.rnd.choice(options)

    def comment(self) -> str:
        if self.rnd is None:
            return "# note"
        words = ["note", "keep in sync", "see docs", "TODO: revisit", "é ü ß", "'quoted' \"text\"",
                 "[", "}", "x = 1", "#", "\\"]
        return "# " + self.rnd.choice(words)


def _escape_char(ch: str, quote: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == quote:
        return "\\" + quote
    if ch.isprintable():
        return ch
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def double_quoted(text: str) -> str:
    return '"' + "".join(_escape_char(c, '"') for c in text) + '"'


def triple_quoted(text: str) -> str:
    body = "".join("\n" if c == "\n" else _escape_char(c, '"') for c in text)
    return '"""' + body + '"""'


def bytes_double_quoted(data: bytes) -> str:
    out = []
    for b in data:
        ch = chr(b)
        if ch in '\\"':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    return 'b"' + "".join(out) + '"'


def _render_str(text: str, layout: Layout, concat: bool = True) -> str:
    style = layout.choice(["repr", "double", "triple", "concat"] if concat else ["repr", "double", "triple"])
    if style == "double":
        return double_quoted(text)
    if style == "triple":
        return triple_quoted(text)
    if style == "concat" and text:
        cut = layout.rnd.randrange(len(text) + 1)  # type: ignore[union-attr]
        left, right = text[:cut], text[cut:]
        sep = layout.choice([" ", "\n    "])
        joined = _render_str(left, layout, False) + sep + _render_str(right, layout, False)
        return f"({joined})"
    return repr(text)


def _render_bytes(data: bytes, layout: Layout, concat: bool = True) -> str:
    style = layout.choice(["repr", "double", "concat"] if concat else ["repr", "double"])
    if style == "double":
        return bytes_double_quoted(data)
    if style == "concat" and data:
        cut = layout.rnd.randrange(len(data) + 1)  # type: ignore[union-attr]
        return f"({_render_bytes(data[:cut], layout, False)} {_render_bytes(data[cut:], layout, False)})"
    return repr(data)


def _render_int(n: int, layout: Layout) -> str:
    sign, mag = ("-", -n) if n < 0 else ("", n)
    style = layout.choice(["dec", "hex", "underscore", "spaced"])
    if style == "hex":
        text = hex(mag)
    elif style == "underscore":
        text = format(mag, "_d")
    else:
        text = str(mag)
    if sign and style == "spaced":
        return f"- {text}"
    return sign + text


def _render_float(x: float, layout: Layout) -> str:
    style = layout.choice(["repr", "g17", "upper"])
    if style == "g17":
        text = f"{x:.17g}"
    elif style == "upper":
        text = repr(x).upper()
    else:
        text = repr(x)
    if not any(c in text for c in ".eE"):
        text += ".0"
    return text


def render_value(value: Any, layout: Layout, scope: str | None = None, top: bool = False) -> str:
    text = _render_value(value, layout, scope, top)
    if layout.chance(0.1):
        text = f"({text})"
    return text


def _render_value(value: Any, layout: Layout, scope: str | None, top: bool) -> str:
    if isinstance(value, Ref):
        owner, _, attr = value.name.rpartition(".")
        # Inside its own class body an attribute is named bare, as Python requires.
        return attr if owner and owner == scope else value.name
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return _render_int(value, layout)
    if isinstance(value, float):
        return _render_float(value, layout)
    if isinstance(value, str):
        return _render_str(value, layout)
    if isinstance(value, bytes):
        return _render_bytes(value, layout)
    if isinstance(value, list):
        return _container("[", "]", [render_value(v, layout, scope) for v in value], layout)
    if isinstance(value, SetLit):
        return _container("{", "}", [render_value(v, layout, scope) for v in value.items], layout)
    if isinstance(value, dict):
        items = [f"{render_value(k, layout, scope)}: {render_value(v, layout, scope)}"
                 for k, v in value.items()]
        return _container("{", "}", items, layout)
    if isinstance(value, tuple):
        items = [render_value(v, layout, scope) for v in value]
        if top and items and "\n" not in "".join(items) and layout.chance(0.2):
            return ", ".join(items) + ("," if len(items) == 1 else "")
        return _container("(", ")", items, layout, tuple_=True)
    raise TypeError(f"cannot render {value!r}")


def _container(open_: str, close: str, items: list[str], layout: Layout, tuple_: bool = False) -> str:
    needs_comma = tuple_ and len(items) == 1
    if not items:
        return open_ + close
    if layout.chance(0.3):
        lines = [open_]
        for i, item in enumerate(items):
            last = i == len(items) - 1
            comma = "," if (not last or needs_comma or layout.chance(0.5)) else ""
            note = f"  {layout.comment()}" if layout.chance(0.3) else ""
            lines.append(f"    {item}{comma}{note}")
            if layout.chance(0.1):
                lines.append(f"    {layout.comment()}")
        lines.append(close)
        return "\n".join(lines)
    trailing = "," if needs_comma or layout.chance(0.2) else ""
    return open_ + ", ".join(items) + trailing + close


def _assignment(const: Const, layout: Layout, scope: str | None, indent: str) -> str:
    value = render_value(const.value, layout, scope, top=True)
    target = const.name
    if layout.chance(0.1):
        target += ": " + layout.choice(["Final", "int", "'str'", "list[int]"])
    style = layout.choice(["plain", "backslash"]) if "\n" not in value else "plain"
    if style == "backslash":
        return f"{indent}{target} = \\\n{indent}    {value}"
    return f"{indent}{target} = {value}"


def _layout_lines(stmts: list[str], layout: Layout, indent: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        # Two one-line statements may share a line, separated by a semicolon.
        if (i + 1 < len(stmts) and "\n" not in stmt and "\n" not in stmts[i + 1]
                and layout.chance(0.1)):
            stmt = f"{stmt}; {stmts[i + 1][len(indent):]}"
            i += 1
        if layout.chance(0.15):
            out.append("")
        if layout.chance(0.15):
            out.append(indent + layout.comment())
        if layout.chance(0.1) and "\n" not in stmt:
            stmt += "  " + layout.comment()
        out.append(stmt)
        i += 1
    return out


def render_module(module: Module, layout: Layout | None = None) -> str:
    layout = layout or Layout()
    lines: list[str] = []
    if layout.chance(0.3):
        lines.append(layout.choice(['"""Constants."""', "# Constants module", "'''Header\n\nmore'''"]))
    if layout.chance(0.2):
        lines.append("from typing import Final")
    for stmt in module.body:
        if isinstance(stmt, ClassDef):
            lines.append("")
            lines.append(f"class {stmt.name}:")
            body = [_assignment(c, layout, stmt.name, "    ") for c in stmt.body]
            if layout.chance(0.2) or not body:
                body.insert(0, '    """Members."""')
            lines += _layout_lines(body, layout, "    ")
            lines.append("")
        else:
            lines += _layout_lines([_assignment(stmt, layout, None, "")], layout, "")
    if layout.chance(0.2):
        lines.append("")
        lines.append(layout.comment())
    return "\n".join(lines) + "\n"


def canonical(value: Any, scope: str | None = None) -> str:
    return render_value(value, Layout(), scope, top=True)


# --- strategies --------------------------------------------------------------------------

# 0 and 1 are left out (and floats are never integral) so that no generated value is
# ``==`` to one of another type (1 == True == 1.0); the oracle can then compare strictly.
# (Mapped rather than filtered: filters make hypothesis retry and give up on examples.)
ints = st.one_of(st.integers(-1000, 1000), st.integers(-(2**70), 2**70)).map(lambda n: n if n < 0 else n + 2)
floats = st.one_of(
    st.floats(-1e15, 1e15).map(lambda x: x + 0.5 if x.is_integer() else x),
    st.floats(5e-324, 1e-3),
    st.floats(-1e-3, -5e-324),
)
texts = st.text(max_size=12) | st.text(alphabet="ab'\"\\\n\t {}%", max_size=12)
hashables = ints | texts
scalars = st.one_of(ints, floats, texts, st.binary(max_size=6), st.booleans(), st.none())

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONST_NAMES = st.builds(lambda a, b: a + b, st.sampled_from(_UPPER),
                        st.text(alphabet=_UPPER + "0123456789_", max_size=10))
CLASS_NAMES = st.builds(lambda a, b: a + b + "Mode", st.sampled_from(_UPPER),
                        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8))


@dataclass(frozen=True)
class _Slot:
    """A reference not yet tied to a name: ``_bind`` chooses which earlier constant."""

    n: int


def _extend(children):
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(hashables, children, max_size=4),
        st.lists(hashables, min_size=1, max_size=4, unique=True).map(lambda xs: SetLit(tuple(xs))),
    )


# One strategy object for every value, so hypothesis builds and validates it once.
# Where earlier constants exist, about half the leaves refer to one, so that edits ripple.
_leaves = st.tuples(st.booleans(), scalars, st.integers(0, 255)).map(lambda t: _Slot(t[2]) if t[0] else t[1])
_raw_values = st.recursive(_leaves, _extend, max_leaves=8)


def _bind(value: Any, refs: list[str]) -> Any:
    if isinstance(value, _Slot):
        return Ref(refs[value.n % len(refs)]) if refs else value.n + 2
    if isinstance(value, list):
        return [_bind(v, refs) for v in value]
    if isinstance(value, tuple):
        return tuple(_bind(v, refs) for v in value)
    if isinstance(value, dict):
        return {k: _bind(v, refs) for k, v in value.items()}
    return value


def draw_value(draw, refs: list[str]) -> Any:
    """A value that may mention the constants in ``refs`` (qualified names)."""
    return _bind(draw(_raw_values), refs)


def draw_name(draw, strategy, used: set[str]) -> str:
    name = draw(strategy)
    base, i = name, 0
    while name in used:
        i += 1
        name = f"{base}_{i}" if strategy is CONST_NAMES else f"{base[:-4]}{i}Mode"
    used.add(name)
    return name


@st.composite
def modules(draw, min_size: int = 0, max_size: int = 10) -> Module:
    """A constants module whose references only point backwards (as real modules' do)."""
    n = draw(st.integers(min_size, max_size))
    used: set[str] = set()
    body: list = []
    refs: list[str] = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 9:
            cname = draw_name(draw, CLASS_NAMES, used)
            members = []
            local: list[str] = []
            for _ in range(draw(st.integers(0, 4))):
                name = draw_name(draw, CONST_NAMES, used)
                members.append(Const(name, draw_value(draw, refs + local)))
                local.append(f"{cname}.{name}")
            body.append(ClassDef(cname, tuple(members)))
            refs += local
        else:
            name = draw_name(draw, CONST_NAMES, used)
            body.append(Const(name, draw_value(draw, refs)))
            refs.append(name)
    return Module(tuple(body))


@dataclass
class Edit:
    """What an edit did, by qualified name: the oracle for the diff."""

    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    rewritten: set[str] = field(default_factory=set)
    """Constants whose value expression was replaced by one that normalizes differently."""


def _referenced(module: Module) -> set[str]:
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, Ref):
            found.add(v.name)
        elif isinstance(v, SetLit):
            for x in v.items:
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    for value in module.constants().values():
        walk(value)
    return found


@st.composite
def edits(draw, module: Module) -> tuple[Module, Edit]:
    """A random edit of ``module``: removals, value rewrites and additions, anywhere.

    Removed constants are ones nothing refers to (a dangling reference cannot be resolved,
    and dssync rightly stays silent about what it cannot know).
    """
    edit = Edit()
    used = set(module.constants()) | {s.name for s in module.body if isinstance(s, ClassDef)}
    used |= {n.rpartition(".")[2] for n in used}
    referenced = _referenced(module)
    body: list = []
    refs: list[str] = []

    def maybe_add(scope: str | None, local: list[str], members: list) -> None:
        while draw(st.integers(0, 5)) == 5:  # (0, the simplest draw, means "stop")
            name = draw_name(draw, CONST_NAMES, used)
            qualified = f"{scope}.{name}" if scope else name
            members.append(Const(name, draw_value(draw, refs + local)))
            local.append(qualified)
            edit.added.add(qualified)

    def visit(const: Const, scope: str | None, local: list[str], members: list) -> None:
        qualified = f"{scope}.{const.name}" if scope else const.name
        if qualified in referenced:  # rewriting it is what makes reference changes
            action = draw(st.sampled_from(["keep", "rewrite"]))
        else:
            action = draw(st.sampled_from(["keep", "keep", "keep", "remove", "rewrite"]))
        if action == "remove" and qualified not in referenced:
            edit.removed.add(qualified)
            return
        value = const.value
        if action == "rewrite":
            new = draw_value(draw, refs + local)
            if canonical(new, scope) != canonical(value, scope):
                value = new
                edit.rewritten.add(qualified)
        members.append(replace(const, value=value))
        local.append(qualified)

    for stmt in module.body:
        if isinstance(stmt, ClassDef):
            local: list[str] = []
            members: list = []
            for const in stmt.body:
                maybe_add(stmt.name, local, members)
                visit(const, stmt.name, local, members)
            maybe_add(stmt.name, local, members)
            body.append(ClassDef(stmt.name, tuple(members)))
            refs += local
        else:
            top: list = []
            maybe_add(None, refs, top)
            visit(stmt, None, refs, top)
            body += top
    tail: list = []
    maybe_add(None, refs, tail)
    body += tail
    return Module(tuple(body)), edit


# A seeded Random, not hypothesis' own: hundreds of layout choices per module would otherwise
# each be a hypothesis draw, which is several times slower; a seed still replays exactly.
layouts = st.integers(0, 2**32 - 1).map(lambda seed: Layout(random.Random(seed)))


# --- any expression, as text: for the libcst extractor against the ast one ----------------


class ExpressionWriter:
    """Random Python expressions as text, every form a constants module might hold, each
    operand parenthesized where the grammar needs it (and sometimes where it does not).

    ``fstrings=False`` leaves f-strings out: ``ast.unparse`` writes them differently from one
    Python to the next, and only 3.11's way is the normalized form."""

    NAMES = ("A", "B_1", "Mode", "x", "Mode.WARN", "os.path", "CONST")

    def __init__(self, rnd: random.Random, fstrings: bool = True) -> None:
        self.rnd = rnd
        self.fstrings = fstrings

    def pick(self, options):
        return self.rnd.choice(options)

    def maybe_parens(self, text: str, p: float = 0.15) -> str:
        return f"({text})" if self.rnd.random() < p else text

    def expression(self, depth: int = 3) -> str:
        if depth <= 0 or self.rnd.random() < 0.3:
            return self.maybe_parens(self.leaf())
        kind = self.pick(["unary", "binary", "bool", "compare", "call", "attribute",
                          "subscript", "slice", "tuple", "list", "set", "dict", "comp",
                          "ifexp", "lambda_", "named", "concat", "fstring", "starred_display"])
        text = getattr(self, kind)(depth - 1)
        return self.maybe_parens(text, 0.1)

    def operand(self, depth: int) -> str:
        """An operand of an operator: parenthesized unless it is an atom."""
        text = self.expression(depth)
        return text if self._atomic(text) else f"({text})"

    @staticmethod
    def _atomic(text: str) -> bool:
        return (text.replace("_", "").replace(".", "").isalnum() and not text[0].isdigit()
                and text not in ("not", "lambda")) or (
            text[:1] in "([{" and text[-1:] in ")]}" and _balanced_whole(text))

    # -- leaves -----------------------------------------------------------------------------

    def leaf(self) -> str:
        kind = self.pick(["name", "name", "int", "float", "imaginary", "string", "string",
                          "bytes", "constant"])
        return getattr(self, "leaf_" + kind)()

    def leaf_name(self) -> str:
        return self.pick(self.NAMES)

    def leaf_constant(self) -> str:
        return self.pick(["True", "False", "None", "..."])

    def leaf_int(self) -> str:
        n = self.pick([0, 1, 7, 42, 255, 10**20, 2**70 + 3])
        form = self.pick(["dec", "hex", "oct", "bin", "underscore"])
        if form == "hex":
            return self.pick(["0x", "0X"]) + format(n, "x")
        if form == "oct":
            return "0o" + format(n, "o")
        if form == "bin":
            return "0b" + format(n, "b")
        if form == "underscore":
            return format(n, "_d")
        return str(n)

    def leaf_float(self) -> str:
        return self.pick(["1.5", "1e3", ".5", "5.", "1e500", "1_0.0_1", "2.5E-3", "0.1",
                          "1e-400", "3.14159265358979"])

    def leaf_imaginary(self) -> str:
        return self.pick(["2j", "1.5J", "1e500j", "0j", "1_0j"])

    def _body(self, quote: str, raw: bool, is_bytes: bool) -> str:
        pieces = []
        for _ in range(self.rnd.randrange(5)):
            options = ["a", "b c", "{", "}", "é" if not is_bytes else "e", "%s", "%d"]
            if not raw:
                options += ["\\n", "\\t", "\\\\", "\\x41", "\\101", "\\d", "\\'", '\\"', "\\0"]
                if not is_bytes:
                    options += ["\\u00e9", "\\N{EM DASH}", "\\U0001F600"]
            if len(quote) == 3:
                options += ["\n", "'" if quote != "'''" else "x", '"' if quote != '"""' else "y"]
            else:
                options += ["'" if quote == '"' else "q", '"' if quote == "'" else "d"]
            pieces.append(self.pick(options))
        body = "".join(pieces)
        if raw and body.endswith("\\"):
            body += "x"
        return body

    def leaf_string(self, is_bytes: bool = False) -> str:
        prefix = self.pick(["", "", "r", "u", "R"] if not is_bytes else ["b", "rb", "B", "Br"])
        quote = self.pick(["'", '"', "'''", '"""'])
        raw = "r" in prefix.lower()
        body = self._body(quote, raw, is_bytes)
        if body.endswith(quote[0]):
            body += " "
        return f"{prefix}{quote}{body}{quote}"

    def leaf_bytes(self) -> str:
        return self.leaf_string(is_bytes=True)

    # -- composites -------------------------------------------------------------------------

    def unary(self, d: int) -> str:
        op = self.pick(["-", "+", "~", "not ", "- "])
        return op + self.operand(d)

    def binary(self, d: int) -> str:
        op = self.pick(["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "|", "&", "^", "@"])
        left = self.operand(d) if self.rnd.random() < 0.7 else self.expression_free(d)
        return f"{left} {op} {self.operand(d)}"

    def expression_free(self, d: int) -> str:
        """An operand written without parentheses when it is itself a binary operation, so
        precedence decides how it groups."""
        op = self.pick(["+", "*", "-", "**", "|"])
        return f"{self.operand(d)} {op} {self.operand(d)}"

    def bool(self, d: int) -> str:
        op = self.pick([" and ", " or "])
        parts = [self.operand(d) if self.rnd.random() < 0.6 else "not " + self.operand(d)
                 for _ in range(self.rnd.randrange(2, 5))]
        if self.rnd.random() < 0.3:
            parts[0] = f"({parts[0]}{self.pick([' and ', ' or '])}{self.operand(d)})"
        return op.join(parts)

    def compare(self, d: int) -> str:
        parts = [self.operand(d)]
        for _ in range(self.rnd.randrange(1, 3)):
            parts.append(self.pick(["<", "<=", "==", "!=", ">", ">=", "is", "is not", "in",
                                    "not in"]))
            parts.append(self.operand(d))
        return " ".join(parts)

    def call(self, d: int) -> str:
        args = [self.expression(d) for _ in range(self.rnd.randrange(3))]
        if self.rnd.random() < 0.3:
            args.append("*" + self.operand(d))
        kwargs = [f"k{i}={self.expression(d)}" for i in range(self.rnd.randrange(2))]
        if self.rnd.random() < 0.2:
            kwargs.append("**" + self.operand(d))
        if self.rnd.random() < 0.2:
            args = [f"{self.expression(d)} for x in {self.operand(d)}"]
            kwargs = []
        return f"{self.pick(['f', 'os.path.join', 'Mode'])}({', '.join(args + kwargs)})"

    def attribute(self, d: int) -> str:
        base = self.pick([self.leaf_name(), f"({self.expression(d)})", self.call(d)])
        return f"{base}.{self.pick(['real', 'WARN', 'x'])}"

    def subscript(self, d: int) -> str:
        inside = self.pick([self.expression(d), f"{self.expression(d)}, {self.expression(d)}",
                            f"({self.expression(d)}, {self.expression(d)})", "()",
                            f"{self.operand(d)},"])
        return f"{self.pick([self.leaf_name(), '[1, 2, 3]', 'D'])}[{inside}]"

    def slice(self, d: int) -> str:
        parts = [self.pick(["", self.operand(d)]) for _ in range(3)]
        form = self.pick([f"{parts[0]}:{parts[1]}", f"{parts[0]}:{parts[1]}:{parts[2]}",
                          f"{parts[0]}:{parts[1]}, {self.expression(d)}"])
        return f"{self.leaf_name()}[{form}]"

    def _elements(self, d: int, lo: int = 0) -> list[str]:
        return [self.expression(d) for _ in range(self.rnd.randrange(lo, 4))]

    def tuple(self, d: int) -> str:
        items = self._elements(d)
        if len(items) == 1:
            return f"({items[0]},)"
        return "(" + ", ".join(items) + (", " if self.rnd.random() < 0.2 else "") + ")"

    def list(self, d: int) -> str:
        return "[" + ", ".join(self._elements(d)) + "]"

    def set(self, d: int) -> str:
        return "{" + ", ".join(self._elements(d, 1)) + "}"

    def dict(self, d: int) -> str:
        items = [f"{self.expression(d)}: {self.expression(d)}" for _ in range(self.rnd.randrange(4))]
        if self.rnd.random() < 0.2:
            items.append("**" + self.operand(d))
        return "{" + ", ".join(items) + "}"

    def starred_display(self, d: int) -> str:
        items = self._elements(d, 1) + ["*" + self.operand(d)]
        self.rnd.shuffle(items)
        return self.pick(["[{}]", "({},)", "{{{}}}"]).format(", ".join(items))

    def comp(self, d: int) -> str:
        target = self.pick(["x", "x, y", "(x, y)", "[x, y]"])
        ifs = "".join(f" if {self.operand(d)}" for _ in range(self.rnd.randrange(3)))
        more = f" for z in {self.operand(d)}" if self.rnd.random() < 0.3 else ""
        gen = f" for {target} in {self.operand(d)}{ifs}{more}"
        kind = self.pick(["[{}]", "{{{}}}", "({})", "dict"])
        if kind == "dict":
            return f"{{{self.operand(d)}: {self.operand(d)}{gen}}}"
        return kind.format(self.expression(d) + gen)

    def ifexp(self, d: int) -> str:
        return f"{self.operand(d)} if {self.operand(d)} else {self.expression(d)}"

    def lambda_(self, d: int) -> str:
        params = self.pick(["", "x", "x, y=1", "*args, **kw", "a, /, b", "*, k=2", "x, *y, z=3"])
        return f"lambda {params}: {self.expression(d)}".replace("lambda :", "lambda:")

    def named(self, d: int) -> str:
        return f"(n := {self.expression(d)})"

    def concat(self, d: int) -> str:
        is_bytes = self.rnd.random() < 0.2
        parts = [self.leaf_string(is_bytes) for _ in range(self.rnd.randrange(2, 4))]
        if not is_bytes and self.fstrings and self.rnd.random() < 0.4:
            parts[self.rnd.randrange(len(parts))] = self.fstring(d)
        return self.pick([" ", "  ", "\n"]).join(parts) if "\n" not in parts[0] else " ".join(parts)

    def fstring(self, d: int) -> str:
        if not self.fstrings:
            return self.leaf_string()
        quote = self.pick(["'", '"', "'''", '"""'])
        inner_quote = '"' if "'" in quote else "'"
        prefix = self.pick(["f", "F", "rf", "fR"])
        raw = "r" in prefix.lower()
        pieces = []
        for _ in range(self.rnd.randrange(1, 4)):
            kind = self.pick(["text", "field", "field", "braces"])
            if kind == "text":
                body = self._body(quote, raw, False).replace("{", "{{").replace("}", "}}")
                if raw and body.endswith("\\"):
                    body += "x"
                pieces.append(body.replace(quote[0], " "))
            elif kind == "braces":
                pieces.append("{{x}}")
            else:
                expr = self.pick([self.leaf_name(), f"{self.leaf_name()} + 1",
                                  f"{inner_quote}s{inner_quote}", "[1, 2]", "D['k']".replace("'", inner_quote),
                                  "{1: 2}", "x if y else z"])
                conv = self.pick(["", "!r", "!s", "!a"])
                spec = self.pick(["", ":>10", ":{width}", ":.{p}f", ":"])
                eq = "=" if self.rnd.random() < 0.2 else ""
                if expr.startswith("{"):
                    expr = " " + expr
                pieces.append("{" + expr + eq + conv + spec + "}")
        return f"{prefix}{quote}{''.join(pieces)}{quote}"


def _balanced_whole(text: str) -> bool:
    """Whether the brackets opening ``text`` close at its very end (``(a)(b)`` is two)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def expression_module(rnd: random.Random, fstrings: bool = True) -> str:
    """A module of assignments whose values are random expressions, with every statement form
    that binds or modifies a constant: unpacking, ``*REST``, items, attributes, ``+=``,
    ``del``, classes, ``if``/``try`` blocks, semicolons, annotations."""
    w = ExpressionWriter(rnd, fstrings)
    lines = []
    for i in range(rnd.randrange(1, 8)):
        e = w.expression
        form = rnd.choice(["plain", "plain", "plain", "annotated", "chain", "unpack", "star",
                           "nested", "item", "augment", "delete", "class", "if", "try", "semi"])
        if form == "plain":
            lines.append(f"C{i} = {e()}")
        elif form == "annotated":
            lines.append(f"C{i}: int = {e()}")
        elif form == "chain":
            lines.append(f"C{i} = D{i} = {e()}")
        elif form == "unpack":
            lines.append(rnd.choice([f"C{i}, D{i} = {e()}, {e()}", f"C{i}, D{i} = {e()}",
                                     f"[C{i}, D{i}] = [{e()}, {e()}]"]))
        elif form == "star":
            lines.append(rnd.choice([f"C{i}, *D{i} = {e()}", f"*C{i}, D{i} = {e()}",
                                     f"C{i}, *D{i}, E{i} = 1, 2, 3, 4"]))
        elif form == "nested":
            lines.append(f"C{i}, (D{i}, E{i}) = {e()}, ({e()}, {e()})")
        elif form == "item":
            lines.append(f"C{i} = {{}}\nC{i}['k'] = {e()}\nC{i}.attr = {e()}")
        elif form == "augment":
            lines.append(f"C{i} = {e()}\nC{i} {rnd.choice(['+=', '*=', '-=', '|=', '%='])} {e()}")
        elif form == "delete":
            lines.append(f"C{i} = {e()}\ndel C{i}" + rnd.choice(["", f", D{i}", ""]))
        elif form == "class":
            lines.append(f"class K{i}:\n    X = {e()}\n    Y = X\n    if A:\n        Z = {e()}")
        elif form == "if":
            lines.append(f"if A:\n    C{i} = {e()}\nelif B:\n    C{i} = {e()}\nelse:\n    pass")
        elif form == "try":
            lines.append(f"try:\n    C{i} = {e()}\nexcept E:\n    C{i} = {e()}\nfinally:\n    D{i} = 1")
        else:
            lines.append(f"C{i} = {e()}; D{i} = C{i}")
    return "\n".join(lines) + "\n"
