"""Recursive-descent parser for the router's DSL: tokens to a small located AST.

The grammar is the router's participle grammar (``src/semantic-router/pkg/dsl/ast.go``, raw parse
tree; lowering in ``parser.go``; spec: ``../shared/data/vllm-sr-upstream/dsl_specification.tex``)::

    program   := block*
    block     := ROUTING fields | SIGNAL <type> <name> fields | PROJECTION (partition|score|mapping) <name> fields
               | MODEL <name> fields | PLUGIN <name> <type> fields | ROUTE <name> ['(' (key '=' value ','?)* ')'] '{' item* '}'
    item      := PRIORITY int | TIER int | WHEN expr | MODEL ref (',' ref)* ','? | ALGORITHM <type> [fields]
               | PLUGIN <name> [fields] | DESCRIPTION string
    ref       := (string|ident) ['(' key '=' value (',' key '=' value)* ','? ')']
    expr      := and (OR and)* ;  and := factor (AND factor)* ;  factor := NOT factor | '(' expr ')' | <type> '(' name field* ')'
    fields    := '{' (','? key ':' value)* '}' ;  value := string | float | int | true | false | '[' values ','? ']' | fields | ident

Nested ``AND``/``OR`` of one operator flatten into one n-ary node, as the router's compiler does
(``flattenBoolExpr`` in ``compiler_routes.go``); ``ROUTING { strategy: ... }`` is ``applyRawRouting``
(``parser_scopes.go``). Blocks the router has but this importer does not carry (``DECISION_TREE``,
``ENTRYPOINT``, ``RECIPE``, ``TEST``; route ``ACTION``, ``FOR``,
``EMIT``) are located errors, never skipped. Recovery is per block, like the router's
``splitTopLevelBlocks``: after an error the parser resumes at the next top-level keyword that
starts a line, so one file reports every broken block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Finding, PolicyError, Severity, did_you_mean
from .lexer import Token, tokenize, unquote

BLOCKS = ("ROUTING", "SIGNAL", "PROJECTION", "MODEL", "PLUGIN", "ROUTE")
NOT_CARRIED_BLOCKS = ("DECISION_TREE", "ENTRYPOINT", "RECIPE", "TEST")
ROUTE_ITEMS = ("PRIORITY", "TIER", "WHEN", "MODEL", "ALGORITHM", "PLUGIN", "DESCRIPTION")
NOT_CARRIED_ITEMS = ("ACTION", "FOR", "EMIT")
PROJECTION_KINDS = ("partition", "score", "mapping")
# Deeper nesting (NOT, parentheses, lists, objects) is refused with its position instead of exhausting
# Python's stack; the validator bounds rule trees far lower (MAX_RULE_DEPTH).
MAX_NESTING = 64
RESERVED = frozenset(BLOCKS + NOT_CARRIED_BLOCKS + ROUTE_ITEMS + NOT_CARRIED_ITEMS + ("AND", "OR", "NOT"))


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


@dataclass
class Field:
    key: str
    value: Any  # plain Python: str, int, float, bool, list, dict
    pos: Pos


@dataclass
class Ref:
    """``type("name")`` in a WHEN clause."""
    type: str
    name: str
    pos: Pos
    fields: list[Field] = field(default_factory=list)


@dataclass
class Op:
    """``AND`` / ``OR`` (flattened, two or more children) or ``NOT`` (one child)."""
    operator: str
    children: list["Expr"]
    pos: Pos


Expr = Ref | Op


@dataclass
class ModelRef:
    model: str
    options: list[Field]
    pos: Pos


@dataclass
class Block:
    keyword: str  # ROUTING, SIGNAL, PROJECTION, MODEL, PLUGIN, ROUTE
    kind: str  # signal type, projection kind, plugin type; "" for the others
    name: str
    pos: Pos
    fields: list[Field] = field(default_factory=list)
    # ROUTE only
    options: list[Field] = field(default_factory=list)
    items: list[tuple[str, Any, Pos]] = field(default_factory=list)


class _Syntax(Exception):
    def __init__(self, message: str, token: Token, suggestion: str | None = None):
        super().__init__(message)
        self.message, self.token, self.suggestion = message, token, suggestion


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.i, self.depth = tokens, 0, 0

    def nested(self, fn: Any) -> Any:
        """``fn()`` one nesting level deeper, refused past :data:`MAX_NESTING`."""
        if self.depth >= MAX_NESTING:
            raise _Syntax(f"nested more than {MAX_NESTING} levels deep", self.tok, "flatten it")
        self.depth += 1
        try:
            return fn()
        finally:
            self.depth -= 1

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.is_(kind, text)

    def expect(self, kind: str, text: str | None, what: str, suggestion: str | None = None) -> Token:
        if not self.at(kind, text):
            raise _Syntax(f"expected {what}, found {self.tok.describe()}", self.tok, suggestion)
        return self.next()

    def punct(self, ch: str, context: str, opened: Token | None = None) -> Token:
        if self.at("punct", ch):
            return self.next()
        if self.at("eof") and opened is not None:
            raise _Syntax(f"unterminated {context}: '{opened.text}' at {opened.line}:{opened.column} is never "
                          f"closed", opened, f"add the closing '{ch}'")
        raise _Syntax(f"expected '{ch}' {context}, found {self.tok.describe()}", self.tok)

    def name(self, what: str) -> str:
        tok = self.tok
        if tok.kind == "string":
            self.next()
            return unquote(tok.text)
        if tok.kind == "ident" and tok.text not in RESERVED:
            self.next()
            return tok.text
        raise _Syntax(f"expected {what} (a name or a quoted string), found {tok.describe()}", tok)

    # -- values ------------------------------------------------------------------------------
    def value(self) -> Any:
        tok = self.tok
        if tok.kind == "string":
            self.next()
            return unquote(tok.text)
        if tok.kind == "float":
            self.next()
            return float(tok.text)
        if tok.kind == "int":
            self.next()
            return int(tok.text)
        if tok.kind == "ident":
            self.next()
            return {"true": True, "false": False}.get(tok.text, tok.text)
        if tok.is_("punct", "["):
            opened = self.next()
            items: list[Any] = []
            while not self.at("punct", "]"):
                if self.at("eof"):
                    self.punct("]", "list", opened)
                items.append(self.nested(self.value))
                if not self.at("punct", ","):
                    break
                self.next()
            self.punct("]", "to close the list", opened)
            return items
        if tok.is_("punct", "{"):
            return {f.key: f.value for f in self.nested(lambda: self.fields("object"))}
        raise _Syntax(f"expected a value, found {tok.describe()}", tok,
                      "values are \"strings\", numbers, true/false, [lists] or {objects}")

    def fields(self, context: str) -> list[Field]:
        opened = self.punct("{", f"to open the {context}")
        out: list[Field] = []
        while not self.at("punct", "}"):
            if self.at("eof"):
                self.punct("}", f"{context} block", opened)
            if self.at("punct", ",") and out:
                self.next()
            key = self.tok
            if key.kind != "ident":
                raise _Syntax(f"expected a field name or '}}' in the {context}, found {key.describe()}", key,
                              "fields are written key: value")
            if key.text in BLOCKS + NOT_CARRIED_BLOCKS and not self.tokens[self.i + 1].is_("punct", ":"):
                raise _Syntax(f"unterminated {context} block: '{{' at {opened.line}:{opened.column} is never "
                              f"closed before {key.text}", opened, "add the closing '}'")
            self.next()
            self.expect("punct", ":", f"':' after field '{key.text}'", f"write {key.text}: <value>")
            out.append(Field(key.text, self.value(), Pos(key.line, key.column)))
        self.next()
        return out

    # -- expressions ----------------------------------------------------------------------------
    def expr(self) -> Expr:
        return self._nary("OR", self.and_term)

    def and_term(self) -> Expr:
        return self._nary("AND", self.factor)

    def _nary(self, op: str, sub: Any) -> Expr:
        first = self.tok
        children = [sub()]
        while self.at("ident", op):
            self.next()
            children.append(sub())
        if len(children) == 1:
            return children[0]
        flat: list[Expr] = []
        for child in children:
            flat.extend(child.children if isinstance(child, Op) and child.operator == op else [child])
        return Op(op, flat, Pos(first.line, first.column))

    def factor(self) -> Expr:
        tok = self.tok
        if tok.is_("ident", "NOT"):
            self.next()
            return Op("NOT", [self.nested(self.factor)], Pos(tok.line, tok.column))
        if tok.is_("punct", "("):
            self.next()
            inner = self.nested(self.expr)
            self.punct(")", "to close '('", tok)
            return inner
        if tok.kind == "ident" and tok.text not in RESERVED:
            self.next()
            opened = self.punct("(", f"after signal type '{tok.text}' (write {tok.text}(\"name\"))")
            name_tok = self.tok
            if name_tok.kind not in ("string", "ident"):
                raise _Syntax(f"expected the signal's name in {tok.text}(...), found {name_tok.describe()}", name_tok)
            self.next()
            fields: list[Field] = []
            while self.at("ident") or self.at("punct", ","):
                if self.at("punct", ","):
                    self.next()
                    continue
                key = self.next()
                self.expect("punct", ":", f"':' after '{key.text}'")
                fields.append(Field(key.text, self.value(), Pos(key.line, key.column)))
            self.punct(")", "to close the signal reference", opened)
            name = unquote(name_tok.text) if name_tok.kind == "string" else name_tok.text
            return Ref(tok.text, name, Pos(tok.line, tok.column), fields)
        raise _Syntax(f"expected a condition (type(\"name\"), NOT, or '('), found {tok.describe()}", tok,
                      'conditions look like domain("math") AND NOT keyword("urgent")')

    # -- blocks -----------------------------------------------------------------------------
    def block(self) -> Block:
        tok = self.tok
        pos = Pos(tok.line, tok.column)
        if tok.kind != "ident" or tok.text not in BLOCKS:
            if tok.kind == "ident" and tok.text in NOT_CARRIED_BLOCKS:
                raise _Syntax(f"{tok.text} blocks are not supported by this importer; nothing of this file was "
                              "imported", tok, "express it with " + "/".join(BLOCKS) + " blocks")
            hint = did_you_mean(tok.text, BLOCKS) if tok.kind == "ident" else None
            if tok.kind == "ident" and self.tokens[self.i + 1].is_("punct", ":"):
                hint = "this looks like YAML; YAML files are read by name (.yaml), the DSL from .dsl files"
            raise _Syntax(f"unknown keyword {tok.describe()}: a block starts with one of {', '.join(BLOCKS)}",
                          tok, hint)
        keyword = self.next().text
        if keyword == "ROUTING":
            return Block(keyword, "", "", pos, self.fields("ROUTING"))
        if keyword == "SIGNAL":
            kind = self.expect("ident", None, "a signal type after SIGNAL (e.g. keyword, domain)").text
            return Block(keyword, kind, self.name("the signal's name"), pos, self.fields(f"SIGNAL {kind}"))
        if keyword == "PROJECTION":
            kind_tok = self.tok
            if kind_tok.kind != "ident" or kind_tok.text not in PROJECTION_KINDS:
                raise _Syntax(f"expected a projection kind ({', '.join(PROJECTION_KINDS)}), found "
                              f"{kind_tok.describe()}", kind_tok, did_you_mean(kind_tok.text, PROJECTION_KINDS))
            self.next()
            return Block(keyword, kind_tok.text, self.name("the projection's name"), pos,
                         self.fields(f"PROJECTION {kind_tok.text}"))
        if keyword == "MODEL":
            return Block(keyword, "", self.name("the model's name"), pos, self.fields("MODEL"))
        if keyword == "PLUGIN":
            name = self.name("the plugin template's name")
            kind = self.expect("ident", None, "the plugin type after the template name").text
            return Block(keyword, kind, name, pos, self.fields("PLUGIN"))
        return self.route(pos)

    def route(self, pos: Pos) -> Block:
        block = Block("ROUTE", "", self.name("the route's name"), pos)
        if self.at("punct", "("):
            opened = self.next()
            while not self.at("punct", ")"):
                if self.at("eof"):
                    self.punct(")", "route options", opened)
                key = self.expect("ident", None, "an option name (description = \"...\")")
                self.expect("punct", "=", f"'=' after option '{key.text}'")
                block.options.append(Field(key.text, self.value(), Pos(key.line, key.column)))
                if self.at("punct", ","):
                    self.next()
            self.next()
        opened = self.punct("{", "to open the ROUTE body")
        while not self.at("punct", "}"):
            tok = self.tok
            if tok.kind == "eof" or (tok.kind == "ident" and tok.text in BLOCKS and tok.text not in ROUTE_ITEMS):
                raise _Syntax(f"unterminated ROUTE '{block.name}': '{{' at {opened.line}:{opened.column} is never "
                              "closed", opened, "add the closing '}'")
            block.items.append(self.route_item())
        self.next()
        return block

    def route_item(self) -> tuple[str, Any, Pos]:
        tok = self.tok
        pos = Pos(tok.line, tok.column)
        if tok.kind == "ident" and tok.text in NOT_CARRIED_ITEMS:
            raise _Syntax(f"{tok.text} in a ROUTE is not supported by this importer; nothing of this file was "
                          "imported", tok)
        if tok.kind != "ident" or tok.text not in ROUTE_ITEMS:
            raise _Syntax(f"unknown keyword {tok.describe()} in a ROUTE: expected one of {', '.join(ROUTE_ITEMS)} "
                          "or '}'", tok, did_you_mean(tok.text, ROUTE_ITEMS) if tok.kind == "ident" else None)
        keyword = self.next().text
        if keyword in ("PRIORITY", "TIER"):
            return keyword, int(self.expect("int", None, f"an integer after {keyword}").text), pos
        if keyword == "DESCRIPTION":
            return keyword, unquote(self.expect("string", None, "a quoted description").text), pos
        if keyword == "WHEN":
            return keyword, self.expr(), pos
        if keyword == "MODEL":
            refs = [self.model_ref()]
            while self.at("punct", ","):
                self.next()
                if self.at("string") or (self.at("ident") and self.tok.text not in RESERVED):
                    refs.append(self.model_ref())
            return keyword, refs, pos
        if keyword == "ALGORITHM":
            kind = self.expect("ident", None, "an algorithm type after ALGORITHM").text
            return keyword, (kind, self.fields(f"ALGORITHM {kind}") if self.at("punct", "{") else []), pos
        name = self.name("a plugin type or template name after PLUGIN")
        return keyword, (name, self.fields(f"PLUGIN {name}") if self.at("punct", "{") else None), pos

    def model_ref(self) -> ModelRef:
        tok = self.tok
        model = self.name("a model name")
        options: list[Field] = []
        if self.at("punct", "("):
            opened = self.next()
            while not self.at("punct", ")"):
                if self.at("eof"):
                    self.punct(")", "model options", opened)
                key = self.expect("ident", None, "a model option (reasoning, effort, lora, weight)")
                self.expect("punct", "=", f"'=' after '{key.text}'")
                options.append(Field(key.text, self.value(), Pos(key.line, key.column)))
                if not self.at("punct", ","):
                    break
                self.next()
            self.punct(")", "to close the model options", opened)
        return ModelRef(model, options, Pos(tok.line, tok.column))

    def resync(self) -> None:
        """Skip to the next top-level keyword that starts a line (the router splits blocks the same way)."""
        self.next()
        while not self.at("eof") and not (self.tok.kind == "ident" and self.tok.column == 1
                                           and self.tok.text in BLOCKS + NOT_CARRIED_BLOCKS):
            self.next()


def parse(text: str, file: str | None = None) -> list[Block]:
    """The blocks of a DSL source; raises :class:`PolicyError` with one located finding per broken block."""
    parser = _Parser(tokenize(text, file))
    blocks: list[Block] = []
    errors: list[Finding] = []
    while not parser.at("eof"):
        try:
            blocks.append(parser.block())
        except _Syntax as exc:
            errors.append(Finding("dsl-syntax", Severity.ERROR, exc.message, file=file, line=exc.token.line,
                                  column=exc.token.column, suggestion=exc.suggestion))
            parser.resync()
    if errors:
        raise PolicyError(errors)
    return blocks
