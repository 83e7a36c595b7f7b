"""Shape checks against vllm-sr 0.4.0's JSON Schema (snapshot in ``policies/data/vllm_sr_schema.json``).

vllm-sr rejects a config whose shape breaks its bundled schema before any semantic check, so we
run the same schema over ``policy.to_spec()``. A tiny compiler for the keywords the file uses
(closures built once, ``lru_cache``) keeps this at a few milliseconds per config, where the
``jsonschema`` package would take far longer and is not an engine dependency. ``${ENV}`` strings
pass as numbers and booleans, as in vllm-sr (spec §13).

Where another check already reports a violation with a more specific message, the schema finding
is left out (``_owned``): unknown fields of the objects structure.py, rules.py and actions.py
check with ``unknown_keys``, rule leaf / algorithm / plugin types, version, strategy, on_unknown,
and the required fields structure.py names. Everywhere else (listeners, global, reasoning,
projections, nested signal and plugin objects, ...) this module is the source of ``unknown-field``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterator

from ..errors import Finding, SpecPath
from ..model import Policy, Signal
from .base import did_you_mean, error, policy_check
from .contract import DEPRECATED_PLUGIN_ALIASES

_ENV = re.compile(r"^\$\{[^{}]+\}$")

# (path, kind, message, suggestion); kind is "unknown" for closed-object violations, else the keyword.
Issue = tuple[SpecPath, str, str, "str | None"]
Validator = Callable[[Any, SpecPath, list[Issue]], None]


@lru_cache(maxsize=1)
def schema_document() -> dict[str, Any]:
    return json.loads(resources.files("policies.data").joinpath("vllm_sr_schema.json").read_text())


def _env(value: Any) -> bool:
    return isinstance(value, str) and _ENV.match(value) is not None


def _is_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, (str, date, datetime))  # vllm-sr renders YAML dates as ISO text first
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool) or _env(value)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer()) or _env(value)
    return isinstance(value, (int, float)) or _env(value)  # number


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


class _Compiler:
    """Turns schema nodes into validators; ``$ref`` targets are compiled once and may recurse."""

    def __init__(self, document: dict[str, Any]):
        self.defs = document.get("$defs", {})
        self.refs: dict[str, Validator] = {}

    def ref(self, target: str) -> Validator:
        name = target.rsplit("/", 1)[-1]
        if name not in self.refs:
            cell: list[Validator] = []
            self.refs[name] = lambda value, path, out: cell[0](value, path, out)
            cell.append(self.compile(self.defs[name]))
        return self.refs[name]

    def compile(self, node: dict[str, Any] | bool) -> Validator:
        if node is True or node == {}:
            return lambda value, path, out: None
        if node is False:
            return lambda value, path, out: out.append((path, "false", "no value is allowed here", None))
        steps: list[Validator] = []
        if "$ref" in node:
            steps.append(self.ref(node["$ref"]))
        for keyword in ("enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                        "minLength", "maxLength", "pattern", "minItems", "maxItems", "required"):
            if keyword in node:
                steps.append(getattr(self, "_" + keyword)(node[keyword]))
        if "properties" in node or "additionalProperties" in node:
            steps.append(self._object(node.get("properties", {}), node.get("additionalProperties", True)))
        if "items" in node:
            steps.append(self._items(self.compile(node["items"])))
        for keyword in ("oneOf", "anyOf"):
            if keyword in node:
                steps.append(self._alternatives(keyword, [self.compile(n) for n in node[keyword]], node[keyword]))
        for sub in node.get("allOf", []):
            steps.append(self._conditional(sub) if "if" in sub else self.compile(sub))
        if "if" in node:
            steps.append(self._conditional(node))
        kind = node.get("type")

        def validate(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if kind is not None and not _is_type(value, kind):
                out.append((path, "type", f"expected {_TYPE_NAMES.get(kind, kind)}, got {_show(value)}", None))
                return
            for step in steps:
                step(value, path, out)
        return validate

    # -- keywords -----------------------------------------------------------------------------
    @staticmethod
    def _enum(choices: list[Any]) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if value not in choices:
                words = [str(c) for c in choices]
                out.append((path, "enum", f"{_show(value)} is not one of {', '.join(words)}",
                            did_you_mean(str(value), words)))
        return check

    @staticmethod
    def _const(expected: Any) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if value != expected:
                out.append((path, "const", f"must be {expected!r}, got {_show(value)}", f"use {expected}"))
        return check

    @staticmethod
    def _bound(limit: float, ok: Callable[[float, float], bool], words: str) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not ok(value, limit):
                out.append((path, "range", f"{value} is out of range: must be {words} {limit:g}", None))
        return check

    def _minimum(self, limit: float) -> Validator:
        return self._bound(limit, lambda v, lim: v >= lim, ">=")

    def _maximum(self, limit: float) -> Validator:
        return self._bound(limit, lambda v, lim: v <= lim, "<=")

    def _exclusiveMinimum(self, limit: float) -> Validator:
        return self._bound(limit, lambda v, lim: v > lim, ">")

    def _exclusiveMaximum(self, limit: float) -> Validator:
        return self._bound(limit, lambda v, lim: v < lim, "<")

    @staticmethod
    def _sized(kind: type, limit: int, ok: Callable[[int, int], bool], words: str) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if isinstance(value, kind) and not ok(len(value), limit):
                out.append((path, "length", f"must have {words} {limit} {'items' if kind is list else 'characters'}",
                            None))
        return check

    def _minLength(self, limit: int) -> Validator:
        return self._sized(str, limit, lambda n, lim: n >= lim, "at least")

    def _maxLength(self, limit: int) -> Validator:
        return self._sized(str, limit, lambda n, lim: n <= lim, "at most")

    def _minItems(self, limit: int) -> Validator:
        return self._sized(list, limit, lambda n, lim: n >= lim, "at least")

    def _maxItems(self, limit: int) -> Validator:
        return self._sized(list, limit, lambda n, lim: n <= lim, "at most")

    @staticmethod
    def _pattern(regex: str) -> Validator:
        compiled = re.compile(regex)

        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if isinstance(value, str) and not compiled.search(value):
                out.append((path, "pattern", f"{_show(value)} does not match {regex}", None))
        return check

    @staticmethod
    def _required(names: list[str]) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if isinstance(value, dict):
                for name in names:
                    if name not in value:
                        out.append((path + (name,), "required", f"required field '{name}' is missing",
                                    f"add {name}: ..."))
        return check

    def _object(self, properties: dict[str, Any], additional: Any) -> Validator:
        props = {name: self.compile(sub) for name, sub in properties.items()}
        extra = None if additional is False else self.compile(additional)
        allowed = sorted(props)

        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if not isinstance(value, dict):
                return
            for key, item in value.items():
                validator = props.get(key)
                if validator is not None:
                    validator(item, path + (key,), out)
                elif extra is not None:
                    extra(item, path + (key,), out)
                else:
                    out.append((path + (key,), "unknown", f"unknown field '{key}' (vllm-sr 0.4.0 rejects it)",
                                did_you_mean(str(key), allowed) or f"allowed: {', '.join(allowed)}"))
        return check

    @staticmethod
    def _items(item: Validator) -> Validator:
        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            if isinstance(value, list):
                for i, element in enumerate(value):
                    item(element, path + (i,), out)
        return check

    @staticmethod
    def _alternatives(keyword: str, options: list[Validator], nodes: list[Any]) -> Validator:
        forms = " or ".join(_TYPE_NAMES.get(n.get("type"), "a matching value") if isinstance(n, dict) else "a value"
                            for n in nodes)

        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            results = []
            for option in options:
                found: list[Issue] = []
                option(value, path, found)
                results.append(found)
            passed = sum(1 for r in results if not r)
            if passed == 0:
                out.append((path, keyword, f"{_show(value)} is not a valid value here: expected {forms}", None))
            elif keyword == "oneOf" and passed > 1:
                out.append((path, keyword, f"{_show(value)} matches more than one allowed form", None))
        return check

    def _conditional(self, node: dict[str, Any]) -> Validator:
        test = self.compile(node["if"])
        then = self.compile(node.get("then", True))
        otherwise = self.compile(node.get("else", True))

        def check(value: Any, path: SpecPath, out: list[Issue]) -> None:
            probe: list[Issue] = []
            test(value, path, probe)
            (otherwise if probe else then)(value, path, out)
        return check


@lru_cache(maxsize=1)
def compiled_schema() -> Validator:
    """The whole-document validator, compiled once per process."""
    return _Compiler(schema_document()).compile(schema_document())


def _canonical(path: SpecPath) -> SpecPath:
    """Recipe routing paths read as top-level routing paths, for matching ``_OWNED``."""
    if len(path) >= 3 and path[0] == "recipes" and path[2] == "routing":
        return ("routing",) + path[3:]
    return path


def _rule_path(path: SpecPath) -> bool:
    """``routing.decisions[i].rules`` followed only by ``conditions[j]`` steps."""
    if len(path) < 4 or path[:2] != ("routing", "decisions") or path[3] != "rules":
        return False
    rest = path[4:]
    return len(rest) % 2 == 0 and all(rest[k] == "conditions" for k in range(0, len(rest), 2))


# Objects whose unknown keys structure.py / actions.py already report (``*`` = any one step).
_CHECKED_OBJECTS: tuple[SpecPath, ...] = (
    (), ("providers",), ("providers", "models", "*"), ("providers", "models", "*", "pricing"),
    ("providers", "models", "*", "backend_refs", "*"), ("routing",), ("routing", "signals"),
    ("routing", "signals", "*", "*"), ("routing", "modelCards", "*"), ("routing", "decisions", "*"),
    ("routing", "decisions", "*", "modelRefs", "*"), ("routing", "decisions", "*", "algorithm"),
    ("routing", "decisions", "*", "algorithm", "*"), ("routing", "decisions", "*", "plugins", "*", "configuration"),
)


def _matches(path: SpecPath, pattern: SpecPath) -> bool:
    return len(path) == len(pattern) and all(q == "*" or q == part for part, q in zip(path, pattern))


def _owned(path: SpecPath, kind: str) -> bool:
    """True when another check reports this violation with a more specific message (or allows it)."""
    p = _canonical(path)
    if kind == "unknown":
        parent = p[:-1]
        return _rule_path(parent) or any(_matches(parent, pattern) for pattern in _CHECKED_OBJECTS)
    if kind == "required":  # structure.py: missing-priority / missing-field for signals
        if len(p) == 4 and p[:2] == ("routing", "decisions") and p[3] == "priority":
            return True
        kind_cls = Signal.for_collection(str(p[2])) if len(p) == 5 and p[:2] == ("routing", "signals") else None
        return kind_cls is not None and p[4] in kind_cls.required
    if kind not in ("enum", "const"):
        return False
    if p in (("version",), ("routing", "strategy")):
        return True
    if len(p) == 5 and p[:2] == ("routing", "decisions") and p[3] == "algorithm" and p[4] == "type":
        return True
    if len(p) == 6 and p[:2] == ("routing", "decisions") and p[3] == "plugins" and p[5] == "type":
        return True
    return p[-1] in ("type", "on_unknown") and _rule_path(p[:-1])


def _normalise_plugin_aliases(spec: dict[str, Any]) -> None:
    """vllm-sr renames deprecated plugin aliases before its schema runs; actions.py warns about them."""
    profiles = [spec.get("routing")] + [r.get("routing") for r in spec.get("recipes") or [] if isinstance(r, dict)]
    for routing in profiles:
        if not isinstance(routing, dict):
            continue
        for decision in routing.get("decisions") or []:
            for plugin in (decision.get("plugins") or []) if isinstance(decision, dict) else []:
                if isinstance(plugin, dict) and plugin.get("type") in DEPRECATED_PLUGIN_ALIASES:
                    plugin["type"] = DEPRECATED_PLUGIN_ALIASES[plugin["type"]]


def schema_issues(spec: dict[str, Any]) -> list[Issue]:
    """Every schema violation in ``spec`` (a fresh ``to_spec()`` dict; plugin aliases are rewritten in place)."""
    _normalise_plugin_aliases(spec)
    out: list[Issue] = []
    compiled_schema()(spec, (), out)
    return out


@policy_check
def json_schema(policy: Policy) -> Iterator[Finding]:
    for path, kind, message, suggestion in schema_issues(policy.to_spec()):
        if not _owned(path, kind):
            yield error("unknown-field" if kind == "unknown" else "schema", message, path, suggestion)

