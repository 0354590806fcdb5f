"""Refuse text no parser of dssync should be handed: what Python cannot compile, and what nests
deeper than libcst can take.

libcst's native parser overflows its stack (the process dies with SIGSEGV) on a chain of some
7,000 ``and``; walking or printing its tree raises ``RecursionError`` from about 325 chained
operators, 140 nested brackets or 98 nested subscripts, and the margin shrinks with every frame
already on the stack. Python's own compiler stops much later (200 brackets, about 3,000 chained
binary operators) and a chain of ``and`` never bothers it, so its verdict alone is not enough.

``refuse_unparsable`` therefore compiles the text (compiling is not executing: nothing runs, and
CPython's constant folding is size-bounded) and then measures, with a scan of its tokens, how
deep each statement nests. The measure is an upper bound of the depth of libcst's tree, in
steps of about three interpreter frames: each chained operator, keyword operator, attribute,
string literal (adjacent literals nest pairwise) and closed bracket adds one step to the
element of a bracket it stands in (commas start a new element, except between ``lambda`` and
its colon and between ``for`` and ``in``); a bracket adds three to what it holds, and so does
each indented block. Text deeper than ``MAX_DEPTH`` is refused with one line naming the place.
Within it, libcst's walks run with a raised recursion limit (``stack.deep_recursion``); the
text is compiled, measured and parsed on a thread with a large stack (``parse``).
"""

from __future__ import annotations

import re
import warnings

from dssync._extract.stack import RAISES
from dssync.errors import DssyncError

MAX_DEPTH = 500 if RAISES else 120
"""Measured on libcst 1.9 through ``dssync update``: with the default limit of 1,000 frames,
walking fails from about 325 steps (three frames a step); libcst's native parser dies with
SIGSEGV from about 7,000 chained ``and`` on an 8 MB stack. libcst's work runs with
``stack.EXTRA_FRAMES`` more frames (``stack.deep_recursion``), so 500 steps (some 1,700
frames) leave the callers' 1,000 untouched and stay a fourteenth of the parser's crash: they
take a 256-literal table (Python's encodings modules), a 400-term ``or``, and DeepSpeed's
deepest statement measures 7. On Python 3.10, where the limit is not raised, the bound stays
120 (some 400 frames)."""

SHALLOW = 120
"""The old bound: text no deeper than this Python's compiler and libcst's parser take on a
512 KB stack (measured for every kind), so it is parsed on the caller's own stack."""

_OPERATOR = 1
_BRACKET = 3
"""A bracket costs 7 to 10 frames in libcst's walk (a list element, a call argument, a
subscript's slice each add nodes of their own)."""
_BLOCK = 3
"""An indented block costs about 7 frames (the statement, its body, its block)."""

_KEYWORD_OPERATORS = frozenset({"and", "or", "not", "if", "else", "in", "is", "await"})

_TOKEN = re.compile(r"""
    (?:                                             # first, what adds nothing (most of a file):
        [ \t\f]+ | \\(?:\r\n|\r|\n)                #   blanks, a backslash continuing a line
      | \#[^\r\n]*                                  #   a comment
      | 0[xX][0-9a-fA-F_]* | 0[oO][0-7_]* | 0[bB][01_]*   # numbers, digits taken as Python does
      | (?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d[\d_]*)?[jJ]?   # 1e-5 is one
      | (?!(?:and|or|not|if|else|in|is|await|lambda|for)\b|(?i:[rbuf]{1,2})['"])[^\W\d]\w*
      | (?:\*\*|//|>>|<<|[-+*/%&|^@])?=(?!=)        #   assignments
    )*
    (?:                                             # then one token that may add depth
        (?P<newline>\r\n|\r|\n)
      | (?P<string>(?i:[rbuf]{0,2})(?:'''|\"\"\"|'|\"))
      | (?P<name>[^\W\d]\w*)
      | (?P<open>[(\[{])
      | (?P<close>[)\]}])
      | (?P<comma>,)
      | (?P<semicolon>;)
      | (?P<colon>:(?!=))
      | (?P<operator>\.\.\.|->|:=|\*\*|//|>>|<<|[<>=!]=|[-+*/%&|^@<>~.])
      | (?P<other>[\s\S])
    )
""", re.VERBOSE)

_STRING_REST = {
    "'": re.compile(r"[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'"),
    '"': re.compile(r'[^"\\\r\n]*(?:\\(?:\r\n|[\s\S])[^"\\\r\n]*)*"'),
    "'''": re.compile(r"[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"),
    '"""': re.compile(r'[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'),
}
"""The rest of a string literal after its opening quote, as Python's tokenizer ends it."""

_FSTRING_TEXT = {
    "'": re.compile(r"(?:[^'{}\\\r\n]|\\[\s\S])*"),
    '"': re.compile(r'(?:[^"{}\\\r\n]|\\[\s\S])*'),
    "'''": re.compile(r"(?:[^'{}\\]|\\[\s\S]|'(?!''))*"),
    '"""': re.compile(r'(?:[^"{}\\]|\\[\s\S]|"(?!""))*'),
}
"""Literal text of an f-string up to its next brace or its closing quote."""

_INDENT = re.compile(r"[ \t\f]*")
_BLANK_LINE_REST = frozenset("\r\n#\\")


class NotPython(DssyncError):
    """The text is not Python (a syntax error, with the line it is on). A reader that cuts a
    module into pieces takes it as "cut elsewhere"; anything else this module raises is final."""


class _TooDeep(Exception):
    def __init__(self, position: int, depth: int) -> None:
        super().__init__(position, depth)
        self.position = position
        self.depth = depth


def refuse_unparsable(text: str, path: str, *, first_line: int = 1, mode: str = "exec") -> None:
    """Raise ``DssyncError`` (one line naming ``path`` and the line) unless Python can compile
    ``text`` and no statement of it nests deeper than ``MAX_DEPTH``; ``NotPython`` for a
    syntax error.

    ``first_line`` is the line of ``path`` that ``text`` starts at, for a piece of a module;
    ``mode`` is ``"eval"`` for a lone expression.
    """
    _refuse_uncompilable(text, path, first_line, mode)
    try:
        _Scanner(text).code(0, field=False, base=0)
    except _TooDeep as deep:
        raise DssyncError(
            f"a statement nests or chains operators {deep.depth} levels deep; dssync reads at "
            f"most {MAX_DEPTH}", path=path, line=_line_at(text, deep.position) + first_line - 1,
            hint="split the expression (into several constants, say): deeper syntax trees "
                 "exhaust the parser's stack") from None


def shallow(text: str) -> bool:
    """Whether no statement of ``text`` measures more than ``SHALLOW`` (a quick look, for
    text that may not even compile: its verdict only chooses where the checks run)."""
    try:
        _Scanner(text, SHALLOW).code(0, field=False, base=0)
    except _TooDeep:
        return False
    except Exception:  # text Python cannot compile either: checked on the large stack
        return False
    return True


def refuse_uncompilable(text: str, path: str, first_line: int = 1, mode: str = "exec") -> None:
    """``refuse_unparsable``'s first half: what Python cannot compile."""
    _refuse_uncompilable(text, path, first_line, mode)


def _refuse_uncompilable(text: str, path: str, first_line: int, mode: str) -> None:
    try:
        with warnings.catch_warnings():
            # Python's warnings about upstream's code (invalid escapes, ``1if``) are not ours to
            # print, nor, under ``-W error``, a reason to refuse it.
            warnings.simplefilter("ignore")
            compile(text, path, mode, dont_inherit=True)
    except SyntaxError as exc:  # IndentationError and TabError too
        raise NotPython(
            f"not valid Python: {exc.msg}", path=path,
            line=exc.lineno + first_line - 1 if exc.lineno else None, column=exc.offset,
            hint="fix the syntax error (or check that this is the right file)") from None
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        detail = "NUL byte" if isinstance(exc, ValueError) else "too deeply nested or too large"
        raise DssyncError(f"Python cannot compile it ({type(exc).__name__}: {detail})",
                          path=path, line=first_line if first_line > 1 else None,
                          hint="dssync refuses input Python itself cannot compile") from None


def _line_at(text: str, position: int) -> int:
    head = text[:position]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


class _Scanner:
    """One pass over the tokens of text that compiles; f-string fields are scanned as code."""

    def __init__(self, text: str, bound: int = MAX_DEPTH) -> None:
        self.text = text
        self.bound = bound

    def code(self, pos: int, *, field: bool, base: int) -> int:
        """Scan code from ``pos``: to the end of the text, or (``field``) to the ``}``, ``!``
        or ``:`` that ends an f-string's replacement field, whose position is returned."""
        text, size, match_token = self.text, len(self.text), _TOKEN.match
        stack: list[tuple[int, int, str | None]] = []
        floor, steps, hold = base, 0, None
        indents = [0]
        line_start = not field
        while pos < size:
            if line_start:
                line_start = False
                pos, floor = self._indent(pos, indents, floor)
                continue
            token = match_token(text, pos)
            if token is None:  # nothing but blanks and comments to the end
                return size
            kind = token.lastgroup
            pos = token.end()
            if kind == "name":
                word = token.group("name")
                if word in _KEYWORD_OPERATORS:
                    steps += _OPERATOR
                    if word == "in" and hold == "for":
                        hold = None
                elif word == "lambda" or word == "for":
                    steps += _OPERATOR
                    hold = word
                else:
                    continue
            elif kind == "operator" or kind == "string":
                if kind == "string":
                    pos = self._string(token.group("string"), pos, floor + steps)
                steps += _OPERATOR
            elif kind == "open":
                stack.append((floor, steps, hold))
                floor, steps, hold = floor + steps + _BRACKET, 0, None
            elif kind == "close":
                if field and not stack:
                    return pos - 1
                floor, steps, hold = stack.pop() if stack else (base, 0, None)
                steps += _OPERATOR
            elif kind == "comma":
                if hold is None:
                    steps = 0
                continue
            elif kind == "colon":
                if field and not stack:
                    return pos - 1
                if hold == "lambda":
                    hold = None
                continue
            elif kind == "semicolon" or kind == "newline":
                if not stack and not field:
                    steps, hold = 0, None
                    line_start = kind == "newline"
                continue
            elif kind == "other":
                if field and not stack and token.group("other") == "!":
                    return pos - 1
                continue
            else:
                continue
            if floor + steps > self.bound:
                raise _TooDeep(pos, floor + steps)
        return pos

    def _indent(self, pos: int, indents: list[int], floor: int) -> tuple[int, int]:
        """Past the indentation of a line; the floor of its statement if the line has one."""
        end = _INDENT.match(self.text, pos).end()  # type: ignore[union-attr]
        if end >= len(self.text) or self.text[end] in _BLANK_LINE_REST:
            return end, floor  # a blank or comment line opens no block
        width = 0
        for char in self.text[pos:end]:
            width = 0 if char == "\f" else (width // 8 + 1) * 8 if char == "\t" else width + 1
        while width < indents[-1]:
            indents.pop()
        if width > indents[-1]:
            indents.append(width)
        floor = (len(indents) - 1) * _BLOCK
        if floor > self.bound:
            raise _TooDeep(end, floor)
        return end, floor

    def _string(self, opening: str, pos: int, depth: int) -> int:
        """Past the literal whose prefix and quote are ``opening``; its fields are scanned."""
        quote = opening.lstrip("rRbBuUfF")
        if "f" not in opening[: len(opening) - len(quote)].lower():
            rest = _STRING_REST[quote].match(self.text, pos)
            return rest.end() if rest is not None else len(self.text)
        return self._fstring(quote, pos, depth, spec=False)

    def _fstring(self, quote: str, pos: int, depth: int, *, spec: bool) -> int:
        """Past an f-string's text (or, ``spec``, a format spec up to its ``}``)."""
        text, size = self.text, len(self.text)
        literal = _FSTRING_TEXT[quote]
        while pos < size:
            pos = literal.match(text, pos).end()  # type: ignore[union-attr]
            if text.startswith(quote, pos):
                return pos if spec else pos + len(quote)
            char = text[pos:pos + 1]
            if char in ("{", "}") and text[pos + 1:pos + 2] == char and not spec:
                pos += 2  # an escaped brace
            elif char == "{":
                pos = self._field(quote, pos + 1, depth + _BRACKET)
            elif char == "}":
                return pos if spec else pos + 1
            else:
                pos += 1  # what the tokenizer would refuse: compile() did not, so skip it
        return pos

    def _field(self, quote: str, pos: int, depth: int) -> int:
        if depth > self.bound:
            raise _TooDeep(pos, depth)
        pos = self.code(pos, field=True, base=depth)
        if self.text.startswith("!", pos):
            pos += 1
            while pos < len(self.text) and self.text[pos].isalpha():
                pos += 1
        if self.text.startswith(":", pos):
            pos = self._fstring(quote, pos + 1, depth, spec=True)
        return pos + 1 if self.text.startswith("}", pos) else pos
