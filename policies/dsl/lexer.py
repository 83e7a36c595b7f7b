"""Tokens of the router's DSL, each with its line and column (1-based) for located errors.

The token classes and their patterns follow the router's lexer (``dslLexer`` in
``src/semantic-router/pkg/dsl/parser.go``; keyword table in ``lexer_tokens.go``): ``#`` comments to
end of line, floats ``[+-]?\\d+\\.\\d+`` (no exponent), ints ``[+-]?\\d+``, double-quoted strings
with backslash escapes, identifiers ``[a-zA-Z_][a-zA-Z0-9_\\-./]*`` (so ``qwen/qwen3.6-rocm`` is one
identifier), ``->``, and the punctuation ``{ } ( ) [ ] : , = >``. Keywords (``SIGNAL``, ``ROUTE``,
``AND`` ...) are identifiers compared by value, as participle does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import PolicyError

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<float>[+-]?[0-9]+\.[0-9]+)
  | (?P<int>[+-]?[0-9]+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<arrow>->|→)
  | (?P<ident>[a-zA-Z_][a-zA-Z0-9_\-./]*)
  | (?P<punct>[{}()\[\]:,=>])
""", re.VERBOSE | re.DOTALL)

_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"'}
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\'\"])")


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, int, float, arrow, punct, eof
    text: str  # the source text (strings: still quoted)
    line: int
    column: int

    def is_(self, kind: str, text: str | None = None) -> bool:
        return self.kind == kind and (text is None or self.text == text)

    def describe(self) -> str:
        return "end of file" if self.kind == "eof" else f"'{self.text}'"


def unquote(literal: str) -> str:
    """A string literal's value as Go's ``strconv.Unquote`` reads it; like the router's ``unquote``,
    a literal Unquote refuses (a raw newline inside) keeps its text between the quotes."""
    inner = literal[1:-1]
    if "\n" in inner:
        return inner

    def one(m: re.Match[str]) -> str:
        esc = m.group(0)[1:]
        if esc[0] in "xuU":
            return chr(int(esc[1:], 16))
        if esc[0].isdigit():
            return chr(int(esc, 8))
        return _ESCAPES[esc]

    return _ESCAPE.sub(one, inner)


def tokenize(text: str, file: str | None = None) -> list[Token]:
    """All tokens but whitespace and comments, ending with an ``eof`` token."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            ch = text[pos]
            if ch == '"':
                raise PolicyError.single("dsl-syntax", "unterminated string", file=file, line=line, column=column,
                                         suggestion='close it with " on the same logical string')
            raise PolicyError.single("dsl-syntax", f"unexpected character {ch!r}", file=file, line=line,
                                     column=column, suggestion="the DSL has no such token; quote the value if it "
                                     "is text")
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, m.group(0), line, column))
        newlines = m.group(0).count("\n")
        if newlines:
            line += newlines
            line_start = m.start() + m.group(0).rindex("\n") + 1
        pos = m.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens
