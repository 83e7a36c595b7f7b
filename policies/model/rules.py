"""Decision rule trees: nested AND / OR / NOT over signal leaves.

One node class for leaves and composites keeps round trips exact (a node is whatever the user
wrote); shape checks (leaf xor composite, NOT has one child, known operators) are the
validator's job so that each becomes a located finding.
"""

from __future__ import annotations

from typing import Any, Iterator

from .base import SpecModel

OPERATORS = ("AND", "OR", "NOT")
SpecPath = tuple[str | int, ...]


class RuleNode(SpecModel):
    # leaf
    type: str | None = None
    name: str | None = None
    label: str | None = None
    predicate: dict[str, Any] | None = None
    on_error: str | None = None
    # composite
    operator: str | None = None
    conditions: list["RuleNode"] | None = None
    # root only
    on_unknown: str | None = None

    @property
    def is_leaf(self) -> bool:
        return self.type is not None or self.name is not None

    @property
    def op(self) -> str:
        """The operator as the router reads it: upper case; a bare root leaf means AND."""
        return (self.operator or "AND").upper()

    @property
    def is_catch_all(self) -> bool:
        """``{}`` or an AND with no conditions: matches every request."""
        return not self.is_leaf and self.op == "AND" and not self.conditions

    def children(self) -> list["RuleNode"]:
        return list(self.conditions or [])

    def walk(self, path: SpecPath = ()) -> Iterator[tuple[SpecPath, "RuleNode"]]:
        """Every node with its path relative to this node (children under ``conditions``)."""
        yield path, self
        for i, child in enumerate(self.conditions or []):
            yield from child.walk(path + ("conditions", i))

    def leaves(self, path: SpecPath = ()) -> Iterator[tuple[SpecPath, "RuleNode"]]:
        for p, node in self.walk(path):
            if node.is_leaf:
                yield p, node

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.conditions or []), default=0)

    def size(self) -> int:
        return sum(1 for _ in self.walk())

    def describe(self) -> str:
        """Readable infix form, e.g. ``domain(math) AND NOT (keyword(a) OR keyword(b))``."""
        if self.is_leaf:
            text = f"{self.type}({self.name})"
            return text + (f"[{self.label}]" if self.label else "")
        if self.is_catch_all:
            return "TRUE"
        children = self.conditions or []
        if self.op == "NOT":
            inner = ", ".join(c.describe() for c in children)
            simple = len(children) == 1 and (children[0].is_leaf or children[0].op == "NOT")
            return "NOT " + (inner if simple else f"({inner})")
        if not children:
            return "FALSE" if self.op == "OR" else "TRUE"
        parts = [c.describe() if c.is_leaf or c.op == "NOT" or len(c.conditions or []) < 2 else f"({c.describe()})"
                 for c in children]
        return f" {self.op} ".join(parts)

    @classmethod
    def leaf(cls, type: str, name: str, **extra: Any) -> "RuleNode":
        return cls(type=type, name=name, **extra)

    @classmethod
    def all_of(cls, *children: "RuleNode") -> "RuleNode":
        return cls(operator="AND", conditions=list(children))

    @classmethod
    def any_of(cls, *children: "RuleNode") -> "RuleNode":
        return cls(operator="OR", conditions=list(children))

    @classmethod
    def negate(cls, child: "RuleNode") -> "RuleNode":
        return cls(operator="NOT", conditions=[child])
