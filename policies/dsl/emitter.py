"""Write a policy's routing as the router's DSL (the router calls this direction "decompile").

The layout follows the router's decompiler (``src/semantic-router/pkg/dsl/decompiler.go``,
``decompiler_signals.go``, ``decompiler_decisions.go``): ``ROUTING { strategy }``, ``SIGNAL`` blocks, then ``PROJECTION``,
``MODEL`` and ``ROUTE`` blocks, each field on its own line, conditions rebuilt with ``AND``/``OR``/
``NOT`` and parentheses only where precedence needs them. Plugins are written inline in each route
(the router factors shared ones into templates; inline compiles to the same decision plugins).

The DSL holds routing only. Everything else is reported, located at its YAML position: the
deployment sections (``providers``, ``listeners``, ``global`` ...) as warnings (the DSL has no place
for them; the YAML keeps them), and routing the DSL cannot express (a
decision's extra keys, rule-leaf labels and predicates, ``NOT`` over several conditions, a
top-level ``on_error`` on an algorithm with a sub-block, a ``null`` value, a field name that is not
an identifier ...) as errors, or warnings with ``drop_unsupported``. Nothing is left out unreported.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from ..errors import Finding, PolicyError, Severity, SpecPath
from ..model import Policy, Signal
from .compiler import ALGORITHMS_WITHOUT_BLOCK, MODEL_OPTIONS, PLUGIN_ALIASES
from .parser import RESERVED

_IDENT = re.compile(r"[a-zA-Z_][a-zA-Z0-9_\-./]*\Z")
_REF_OPTION = {key: option for option, (key, _) in MODEL_OPTIONS.items()}
_DECISION_KEYS = ("name", "description", "priority", "tier", "rules", "modelRefs", "algorithm", "plugins")
_PROJECTIONS = (("partitions", "partition"), ("scores", "score"), ("mappings", "mapping"))
# A whole block left out (its structure has no DSL form), as opposed to one key of it.
BLOCK_DROPPED = "dsl-block-dropped"


class _Unexpressible(Exception):
    def __init__(self, path: SpecPath, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _number(value: float) -> str:
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def _name(value: str) -> str:
    return value if _IDENT.match(value) and value not in RESERVED and value not in ("true", "false") \
        else json.dumps(value, ensure_ascii=False)


def value_text(value: Any, path: SpecPath) -> str:
    """One DSL value; raises :class:`_Unexpressible` for what the DSL has no literal for."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Unexpressible(path, f"{value} has no DSL literal")
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v, path + (i,)) for i, v in enumerate(value)) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k, path)}: {value_text(v, path + (k,))}" for k, v in value.items()) + " }"
    raise _Unexpressible(path, "null has no DSL literal" if value is None else f"{type(value).__name__} value")


def _key(key: Any, path: SpecPath) -> str:
    if not isinstance(key, str) or not _IDENT.match(key):
        raise _Unexpressible(path + (key,), f"field name {key!r} is not a DSL identifier")
    return key


class _Emitter:
    def __init__(self, policy: Policy, drop_unsupported: bool):
        self.policy, self.drop = policy, drop_unsupported
        self.findings: list[Finding] = []
        self.lines: list[str] = []

    def report(self, path: SpecPath, message: str, severity: Severity | None = None,
               code: str = "not-expressible-in-dsl") -> None:
        severity = severity or (Severity.WARNING if self.drop else Severity.ERROR)
        self.findings.append(self.policy.locate(Finding(
            code, severity, f"not written to the DSL: {message}", path=path,
            suggestion=None if severity is not Severity.ERROR else "change it, keep the YAML, or export with "
            "--drop-unsupported")))

    def guarded(self, fn: Any, *args: Any) -> None:
        """Emit one block; a block whose structure cannot be expressed (a condition tree the DSL has no
        form for) is reported and left out whole, never written with a different meaning."""
        mark = len(self.lines)
        try:
            fn(*args)
        except _Unexpressible as exc:
            del self.lines[mark:]
            self.report(exc.path, exc.message, code=BLOCK_DROPPED)

    def section(self, title: str) -> None:
        rule = "# " + "=" * 77
        self.lines += ([""] if self.lines and self.lines[-1] else []) + [rule, f"# {title}", rule, ""]

    def fields_block(self, header: str, fields: dict[str, Any], path: SpecPath, indent: str = "") -> None:
        if not fields:
            self.lines.append(f"{indent}{header} {{}}")
            return
        self.lines.append(f"{indent}{header} {{")
        for k, v in fields.items():
            try:
                self.lines.append(f"{indent}  {_key(k, path)}: {value_text(v, path + (k,))}")
            except _Unexpressible as exc:  # that field only
                self.report(exc.path, exc.message)
        self.lines.append(f"{indent}}}")

    # -- sections ---------------------------------------------------------------------------
    def emit(self) -> str:
        spec = self.policy.to_spec()
        for key in spec:
            if key != "routing":
                self.report((key,), f"'{key}' is deployment, not routing: the DSL holds routing only "
                            "(the YAML keeps it)", Severity.WARNING)
        routing = spec.get("routing") or {}
        for key in routing:
            if key not in ("strategy", "signals", "projections", "modelCards", "decisions"):
                self.report(("routing", key), f"routing.{key} has no DSL form")
        if "strategy" in routing:
            self.guarded(self.fields_block, "ROUTING", {"strategy": routing["strategy"]}, ("routing",))
        self.signals(routing.get("signals") or {})
        self.projections(routing.get("projections") or {})
        cards = routing.get("modelCards") or []
        if cards:
            self.section("MODELS")
            for i, card in enumerate(cards):
                path = ("routing", "modelCards", i)
                self.guarded(self.block, f"MODEL {_name(card['name'])}", card, path)
        decisions = routing.get("decisions") or []
        if decisions:
            self.section("ROUTES")
            for i, d in enumerate(decisions):
                self.guarded(self.route, d, ("routing", "decisions", i))
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def block(self, header: str, entry: dict[str, Any], path: SpecPath) -> None:
        self.fields_block(header, {k: v for k, v in entry.items() if k != "name"}, path)
        self.lines.append("")

    def signals(self, signals: dict[str, Any]) -> None:
        kinds = Signal.collections()
        if any(signals.values()):
            self.section("SIGNALS")
        for collection, entries in signals.items():
            kind = kinds.get(collection)
            if kind is None or not kind.leaf_type:
                self.report(("routing", "signals", collection), f"signals.{collection} has no DSL signal type")
                continue
            for i, entry in enumerate(entries or []):
                self.guarded(self.block, f"SIGNAL {kind.leaf_type} {_name(entry['name'])}", entry,
                             ("routing", "signals", collection, i))

    def projections(self, projections: dict[str, Any]) -> None:
        for key in projections:
            if key not in dict(_PROJECTIONS):
                self.report(("routing", "projections", key), f"projections.{key} has no DSL form")
        if not any(projections.get(k) for k, _ in _PROJECTIONS):
            return
        self.section("PROJECTIONS")
        for collection, kind in _PROJECTIONS:
            for i, entry in enumerate(projections.get(collection) or []):
                self.guarded(self.block, f"PROJECTION {kind} {_name(entry['name'])}", entry,
                             ("routing", "projections", collection, i))

    # -- routes -----------------------------------------------------------------------------
    def route(self, d: dict[str, Any], path: SpecPath) -> None:
        for key in d:
            if key not in _DECISION_KEYS:
                self.report(path + (key,), f"decision '{d['name']}': '{key}' has no DSL form")
        header = f"ROUTE {_name(d['name'])}"
        if "description" in d:
            header += f" (description = {value_text(d['description'], path + ('description',))})"
        self.lines.append(header + " {")
        for key, word in (("priority", "PRIORITY"), ("tier", "TIER")):
            if d.get(key) is not None:
                self.lines.append(f"  {word} {d[key]}")
        rules = d.get("rules")
        if rules is not None:
            text = self.rules(rules, path + ("rules",), root=True)
            if text:
                self.lines.append(f"  WHEN {text}")
        refs = [self.model_ref(r, path + ("modelRefs", i)) for i, r in enumerate(d.get("modelRefs") or [])]
        if refs:
            self.lines.append("  MODEL " + ",\n        ".join(refs))
        if d.get("algorithm") is not None:
            self.algorithm(d["algorithm"], path + ("algorithm",))
        for i, plugin in enumerate(d.get("plugins") or []):
            self.plugin(plugin, path + ("plugins", i))
        self.lines += ["}", ""]

    def rules(self, node: dict[str, Any], path: SpecPath, root: bool = False) -> str:
        for key in sorted(set(node) - {"type", "name", "operator", "conditions"}):
            self.report(path + (key,), f"'{key}' on a rule node has no DSL form")
        if "type" in node or "name" in node:
            if not isinstance(node.get("type"), str) or not _IDENT.match(node["type"]):
                raise _Unexpressible(path + ("type",), f"condition type {node.get('type')!r} is not a DSL identifier")
            return f"{node['type']}({json.dumps(str(node.get('name')), ensure_ascii=False)})"
        op = str(node.get("operator") or "AND").upper()
        children = node.get("conditions") or []
        if op == "AND" and not children and root:
            return ""
        if op not in ("AND", "OR", "NOT") or (op == "NOT" and len(children) != 1) or not children:
            raise _Unexpressible(path, f"{op} with {len(children)} conditions has no DSL form")
        parts = [self.rules(c, path + ("conditions", i)) for i, c in enumerate(children)]
        if op == "NOT":
            child = children[0]
            simple = "type" in child or "name" in child or str(child.get("operator", "AND")).upper() == "NOT" \
                or len(child.get("conditions") or []) == 1
            return "NOT " + (parts[0] if simple else f"({parts[0]})")
        if len(parts) == 1:
            return parts[0]
        wrapped = []
        for child, text in zip(children, parts):
            child_op = None if ("type" in child or "name" in child) else str(child.get("operator") or "AND").upper()
            grouped = child_op in ("AND", "OR") and len(child.get("conditions") or []) > 1
            # OR binds looser than AND; a nested node of the same operator keeps its own group
            wrapped.append(f"({text})" if grouped and (child_op == "OR" or child_op == op) else text)
        return f" {op} ".join(wrapped)

    def model_ref(self, ref: dict[str, Any], path: SpecPath) -> str:
        options = []
        for key, value in ref.items():
            if key == "model":
                continue
            if key not in _REF_OPTION:
                self.report(path + (key,), f"model reference field '{key}' has no DSL form")
                continue
            options.append(f"{_REF_OPTION[key]} = {value_text(value, path + (key,))}")
        text = json.dumps(ref["model"], ensure_ascii=False)
        return text + (f" ({', '.join(options)})" if options else "")

    def algorithm(self, algo: dict[str, Any], path: SpecPath) -> None:
        kind = algo["type"]
        fields: dict[str, Any] = {}
        for key, value in algo.items():
            if key == "type":
                continue
            if key == "minimum_candidates" or (key == "on_error" and kind in ALGORITHMS_WITHOUT_BLOCK):
                fields[key] = value
            elif key == kind and isinstance(value, dict):
                fields.update({"prompt": value} if kind == "prompt" else value)
            else:
                self.report(path + (key,), f"algorithm field '{key}' has no DSL form for type '{kind}'")
        if fields:
            self.fields_block(f"ALGORITHM {kind}", fields, path, "  ")
        else:
            self.lines.append(f"  ALGORITHM {kind}")

    def plugin(self, plugin: dict[str, Any], path: SpecPath) -> None:
        kind = plugin["type"]
        if kind in PLUGIN_ALIASES or not _IDENT.match(kind) or kind in RESERVED:
            self.report(path + ("type",), f"plugin type '{kind}' has no DSL form (the DSL would read it as "
                        f"'{PLUGIN_ALIASES.get(kind, kind)}')" if kind in PLUGIN_ALIASES else
                        f"plugin type '{kind}' is not a DSL identifier")
            return
        for key in sorted(set(plugin) - {"type", "configuration"}):
            self.report(path + (key,), f"plugin '{kind}': '{key}' has no DSL form")
        config = plugin.get("configuration")
        if config is not None and not isinstance(config, dict):
            self.report(path + ("configuration",), f"plugin '{kind}': a configuration that is not a mapping")
            config = None
        if config:
            self.fields_block(f"PLUGIN {kind}", config, path + ("configuration",), "  ")
        else:
            self.lines.append(f"  PLUGIN {kind}")


def dumps_dsl(policy: Policy, drop_unsupported: bool = False) -> tuple[str, list[Finding]]:
    """The policy's routing as DSL text and the findings on what it leaves out.

    Raises :class:`PolicyError` when routing cannot be expressed, unless ``drop_unsupported``."""
    emitter = _Emitter(policy, drop_unsupported)
    text = emitter.emit()
    errors = [f for f in emitter.findings if f.severity is Severity.ERROR]
    if errors:
        raise PolicyError(errors)
    return text, emitter.findings
