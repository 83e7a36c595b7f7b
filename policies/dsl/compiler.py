"""Compile parsed DSL blocks to the policy model, every spec path located at its DSL line and column.

What each block becomes, as the router's compiler builds it (``src/semantic-router/pkg/dsl/``):

- ``ROUTING { strategy: "..." }`` -> ``routing.strategy`` (``applyRawRouting`` in ``parser_scopes.go``;
  its other fields, model bindings and data policies, have no place in our model and are errors).
- ``SIGNAL <type> <name> {fields}`` -> one entry ``{name, **fields}`` of ``routing.signals.<collection>``,
  the collection being the kind whose leaf type is ``<type>`` (``compiler_signal_dispatch.go``,
  ``compiler_signals.go``). The router copies each kind's known fields; we keep every field, so a
  misspelt one reaches the validator as an unknown key instead of vanishing.
- ``PROJECTION score|mapping|partition`` -> ``routing.projections.scores|mappings|partitions``; a
  score's ``method`` defaults to ``weighted_sum`` and a mapping's to ``threshold_bands``
  (``rawToProjectionScore`` / ``rawToProjectionMapping`` in ``parser.go``).
- ``MODEL <name> {fields}`` -> ``routing.modelCards`` entry (``compiler_models.go``).
- ``ROUTE`` -> a decision (``compiler_routes.go``): no ``WHEN`` is ``{operator: AND, conditions: []}``
  (a catch-all); a single condition is wrapped as ``AND`` of one; nested same operators flatten.
  ``MODEL "m" (reasoning=, effort=, lora=, weight=)`` -> ``modelRefs`` (``use_reasoning``,
  ``reasoning_effort``, ``lora_name``, ``weight``). ``ALGORITHM t {fields}`` -> ``{type: t, t: {fields}}``
  with ``minimum_candidates`` on the algorithm itself; for the kinds without a sub-block (``static``,
  ``knn``, ``kmeans``, ``mlp``, ``svm``, ``random``) ``on_error`` is the algorithm's own
  (``compiler_algorithms.go``). ``PLUGIN name {fields}`` merges a top-level ``PLUGIN`` template's
  fields with the route's (route wins), else ``name`` is the plugin type, hyphenated aliases
  normalised (``compiler_plugins.go``, ``knownInlinePluginAliases`` in ``parser.go``); the result is
  ``{type, configuration}``.

Where the router silently ignores something (fields inside a signal reference, the ``mode`` and
``param_size`` model options, options of an option-less algorithm), this compiler reports a located
error instead: the team rule is that nothing is dropped without a word. References to undeclared
signals are errors too (the validator's own reference check, located here).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import Finding, PolicyError, Severity, SpecPath, did_you_mean
from ..model import Policy, Signal
from . import DIALECT
from .parser import Block, Expr, Field, ModelRef, Op, Pos, Ref, parse

ALGORITHMS_WITH_BLOCK = ("confidence", "ratings", "remom", "fusion", "workflows", "router_dc", "automix", "hybrid",
                         "latency_aware", "multi_factor", "prompt")
ALGORITHMS_WITHOUT_BLOCK = ("static", "knn", "kmeans", "mlp", "svm", "random")
PLUGIN_ALIASES = {"semantic-cache": "response_cache", "response-cache": "response_cache",
                  "context-compression": "context_compression", "system-prompt": "system_prompt",
                  "header-mutation": "header_mutation", "router-replay": "router_replay",
                  "shadow-dispatch": "shadow_dispatch", "fast-response": "fast_response",
                  "request-params": "request_params", "response-jailbreak": "response_jailbreak"}
MODEL_OPTIONS = {"reasoning": ("use_reasoning", bool), "effort": ("reasoning_effort", str),
                 "lora": ("lora_name", str), "weight": ("weight", (int, float))}
ROUTE_OPTIONS = ("description",)
PROJECTION_DEFAULT_METHOD = {"scores": "weighted_sum", "mappings": "threshold_bands"}
_PROJECTION_COLLECTION = {"score": "scores", "mapping": "mappings", "partition": "partitions"}
# Validator codes that are the DSL's "type safety" (dsl_specification.tex: references resolved at compile time).
REFERENCE_CODES = frozenset({"dangling-reference", "unknown-signal-type"})


class DslSourceMap:
    """Spec path -> DSL position; a path the compiler did not record takes its nearest ancestor's."""

    roots: list[Any] = []  # no YAML documents behind a DSL policy
    text: str | None = None  # nor YAML text: saving a DSL policy writes canonical YAML

    def __init__(self) -> None:
        self.positions: dict[SpecPath, tuple[int, int]] = {}

    def record(self, path: SpecPath, pos: Pos) -> None:
        self.positions[tuple(path)] = (pos.line, pos.column)

    def lookup(self, path: SpecPath) -> tuple[int, int] | None:
        return self.positions.get(tuple(path))

    def position(self, path: SpecPath) -> tuple[int | None, int | None]:
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return (1, 1) if self.positions else (None, None)


class _Compiler:
    def __init__(self, file: str | None):
        self.file = file
        self.map = DslSourceMap()
        self.errors: list[Finding] = []
        self.routing: dict[str, Any] = {}
        self.templates: dict[str, tuple[str, list[Field]]] = {}  # PLUGIN name -> (plugin type, fields)

    def error(self, message: str, pos: Pos, suggestion: str | None = None, code: str = "dsl-compile") -> None:
        self.errors.append(Finding(code, Severity.ERROR, message, file=self.file, line=pos.line, column=pos.column,
                                   suggestion=suggestion))

    def fields(self, fields: list[Field], base: SpecPath, what: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            if f.key in out:
                self.error(f"{what}: field '{f.key}' is given twice", f.pos, "keep one")
            out[f.key] = f.value
            self.map.record(base + (f.key,), f.pos)
        return out

    def append(self, path: SpecPath, entry: dict[str, Any], pos: Pos) -> SpecPath:
        node: Any = self.routing
        for key in path[1:-1]:
            node = node.setdefault(key, {})
        items = node.setdefault(path[-1], [])
        items.append(entry)
        where = path + (len(items) - 1,)
        self.map.record(where, pos)
        return where

    # -- blocks -----------------------------------------------------------------------------
    def routing_block(self, block: Block) -> None:
        fields = self.fields(block.fields, ("routing",), "ROUTING")
        strategy = fields.pop("strategy", None)
        if not isinstance(strategy, str):
            self.error("ROUTING needs strategy: \"<name>\"", block.pos, 'write ROUTING { strategy: "priority" }')
        elif "strategy" in self.routing:
            self.error("ROUTING is given twice", block.pos, "keep one")
        else:
            self.routing["strategy"] = strategy
        for key in fields:
            self.error(f"ROUTING field '{key}' is not carried by this importer", self.map_pos(("routing", key)),
                       "only strategy is read")

    def signal(self, block: Block) -> None:
        kinds = Signal.leaf_types()
        kind = kinds.get(block.kind)
        if kind is None:
            self.error(f"unknown signal type '{block.kind}' (SIGNAL {block.kind} {block.name})", block.pos,
                       did_you_mean(block.kind, kinds) or f"use one of: {', '.join(sorted(kinds))}")
            return
        where = self.append(("routing", "signals", kind.collection), {"name": block.name}, block.pos)
        self._entry(where).update(self.fields(block.fields, where, f"SIGNAL {block.kind} {block.name}"))

    def projection(self, block: Block) -> None:
        collection = _PROJECTION_COLLECTION[block.kind]
        where = self.append(("routing", "projections", collection), {"name": block.name}, block.pos)
        entry = self._entry(where)
        entry.update(self.fields(block.fields, where, f"PROJECTION {block.kind} {block.name}"))
        if collection in PROJECTION_DEFAULT_METHOD:
            entry.setdefault("method", PROJECTION_DEFAULT_METHOD[collection])

    def model(self, block: Block) -> None:
        where = self.append(("routing", "modelCards"), {"name": block.name}, block.pos)
        self._entry(where).update(self.fields(block.fields, where, f"MODEL {block.name}"))

    def _entry(self, path: SpecPath) -> dict[str, Any]:
        node: Any = self.routing
        for key in path[1:]:
            node = node[key]
        return node

    def route(self, block: Block) -> None:
        decision: dict[str, Any] = {"name": block.name}
        where = self.append(("routing", "decisions"), decision, block.pos)
        for opt in block.options:
            if opt.key not in ROUTE_OPTIONS:
                self.error(f"ROUTE {block.name}: unknown option '{opt.key}'", opt.pos,
                           did_you_mean(opt.key, ROUTE_OPTIONS) or "the route header takes description = \"...\"")
            elif not isinstance(opt.value, str):
                self.error(f"ROUTE {block.name}: description must be a string", opt.pos)
            else:
                decision["description"] = opt.value
                self.map.record(where + ("description",), opt.pos)
        when: tuple[Expr, Pos] | None = None
        for keyword, value, pos in block.items:
            if keyword in ("PRIORITY", "TIER", "DESCRIPTION", "WHEN", "ALGORITHM"):
                key = {"PRIORITY": "priority", "TIER": "tier", "DESCRIPTION": "description", "WHEN": "rules",
                       "ALGORITHM": "algorithm"}[keyword]
                if key in decision or (keyword == "WHEN" and when is not None):
                    self.error(f"ROUTE {block.name}: {keyword} is given twice", pos, "keep one")
                self.map.record(where + (key,), pos)
            if keyword == "PRIORITY":
                decision["priority"] = value
            elif keyword == "TIER":
                decision["tier"] = value
            elif keyword == "DESCRIPTION":
                decision["description"] = value
            elif keyword == "WHEN":
                when = (value, pos)
            elif keyword == "MODEL":
                for ref in value:
                    refs = decision.setdefault("modelRefs", [])
                    refs.append(self.model_ref(ref, where + ("modelRefs", len(refs)), block.name))
            elif keyword == "ALGORITHM":
                decision["algorithm"] = self.algorithm(value[0], value[1], pos, where + ("algorithm",), block.name)
            elif keyword == "PLUGIN":
                plugins = decision.setdefault("plugins", [])
                plugins.append(self.plugin(value[0], value[1], pos, where + ("plugins", len(plugins))))
        if when is None:
            decision["rules"] = {"operator": "AND", "conditions": []}
        else:
            expr, pos = when
            rules = self.expr(expr, where + ("rules",))
            decision["rules"] = rules if isinstance(expr, Op) else {"operator": "AND", "conditions": [rules]}
            if not isinstance(expr, Op):
                self.map.record(where + ("rules", "conditions", 0), expr.pos)
        # keep the decision's keys in the YAML's order
        order = ("name", "description", "priority", "tier", "rules", "modelRefs", "algorithm", "plugins")
        ordered = {k: decision[k] for k in order if k in decision}
        decision.clear()
        decision.update(ordered)

    def expr(self, expr: Expr, path: SpecPath) -> dict[str, Any]:
        self.map.record(path, expr.pos)
        if isinstance(expr, Ref):
            for f in expr.fields:
                self.error(f"{expr.type}(\"{expr.name}\"): field '{f.key}' in a signal reference is not carried "
                           "(the router's compiler ignores it)", f.pos, "remove it")
            return {"type": expr.type, "name": expr.name}
        return {"operator": expr.operator,
                "conditions": [self.expr(c, path + ("conditions", i)) for i, c in enumerate(expr.children)]}

    def model_ref(self, ref: ModelRef, path: SpecPath, route: str) -> dict[str, Any]:
        self.map.record(path, ref.pos)
        out: dict[str, Any] = {"model": ref.model}
        for opt in ref.options:
            if opt.key not in MODEL_OPTIONS:
                known = ", ".join(MODEL_OPTIONS)
                self.error(f"ROUTE {route}: model option '{opt.key}' is not carried (known: {known})", opt.pos,
                           did_you_mean(opt.key, MODEL_OPTIONS) or "remove it")
                continue
            key, kind = MODEL_OPTIONS[opt.key]
            if not isinstance(opt.value, kind) or (kind != bool and isinstance(opt.value, bool)):
                self.error(f"ROUTE {route}: model option '{opt.key}' has the wrong type ({opt.value!r})", opt.pos,
                           {"reasoning": "true or false", "weight": "a number"}.get(opt.key, "a quoted string"))
                continue
            out[key] = opt.value
            self.map.record(path + (key,), opt.pos)
        return out

    def algorithm(self, kind: str, fields: list[Field], pos: Pos, path: SpecPath, route: str) -> dict[str, Any]:
        known = ALGORITHMS_WITH_BLOCK + ALGORITHMS_WITHOUT_BLOCK
        if kind not in known:
            self.error(f"ROUTE {route}: unknown algorithm type '{kind}'", pos,
                       did_you_mean(kind, known) or f"use one of: {', '.join(known)}")
        algo: dict[str, Any] = {"type": kind}
        options = self.fields(fields, path + (kind,), f"ALGORITHM {kind}")
        if "minimum_candidates" in options:
            algo["minimum_candidates"] = options.pop("minimum_candidates")
            self.map.record(path + ("minimum_candidates",), self.map_pos(path + (kind, "minimum_candidates")))
        if kind in ALGORITHMS_WITHOUT_BLOCK:
            if "on_error" in options:
                algo["on_error"] = options.pop("on_error")
                self.map.record(path + ("on_error",), self.map_pos(path + (kind, "on_error")))
            for key in options:
                self.error(f"ROUTE {route}: ALGORITHM {kind} takes no option '{key}' (the router ignores it)",
                           self.map_pos(path + (kind, key)), "remove it")
        elif kind == "prompt" and set(options) - {"prompt"}:
            self.error(f"ROUTE {route}: ALGORITHM prompt reads only its prompt: {{...}} object",
                       pos, "put model, instructions, timeout_seconds inside prompt: { }")
        elif options:
            algo[kind] = options["prompt"] if kind == "prompt" else options
        return algo

    def map_pos(self, path: SpecPath) -> Pos:
        line, column = self.map.position(path)
        return Pos(line or 1, column or 1)

    def plugin(self, name: str, fields: list[Field] | None, pos: Pos, path: SpecPath) -> dict[str, Any]:
        self.map.record(path, pos)
        kind, template_fields = self.templates.get(name, (PLUGIN_ALIASES.get(name, name), []))
        merged = self.fields(template_fields, path + ("configuration",), f"PLUGIN {name}")
        merged.update(self.fields(fields or [], path + ("configuration",), f"PLUGIN {name}"))
        out: dict[str, Any] = {"type": kind}
        if merged:
            out["configuration"] = merged
        return out


def compile_blocks(blocks: list[Block], file: str | None = None) -> Policy:
    """The policy the blocks describe (a ``routing`` section only); raises :class:`PolicyError` on any error."""
    c = _Compiler(file)
    for block in blocks:
        if block.keyword == "PLUGIN":
            if block.name in c.templates:
                c.error(f"PLUGIN template '{block.name}' is declared twice", block.pos, "rename or merge them")
            c.templates[block.name] = (PLUGIN_ALIASES.get(block.kind, block.kind), block.fields)
    handlers = {"ROUTING": c.routing_block, "SIGNAL": c.signal, "PROJECTION": c.projection, "MODEL": c.model,
                "ROUTE": c.route}
    for block in blocks:
        if block.keyword in handlers:
            handlers[block.keyword](block)
    if not blocks:
        c.error("no DSL blocks: a DSL file declares ROUTING, SIGNAL, PROJECTION, MODEL, PLUGIN or ROUTE blocks",
                Pos(1, 1), "this file is empty or only comments", code="not-a-router-config")
    if c.errors:
        raise PolicyError(sorted(c.errors, key=lambda f: (f.line or 0, f.column or 0)))
    return _typed(c, {"routing": c.routing} if c.routing else {})


def _typed(c: _Compiler, spec: dict[str, Any]) -> Policy:
    from ..loader import _type_findings
    from ..validation import validate_policy

    carrier = Policy().attach_source(c.file, c.map, DIALECT)
    try:
        policy = Policy.from_spec(spec)
    except ValidationError as exc:
        raise PolicyError([carrier.locate(f) for f in _type_findings(exc, spec)]) from None
    policy.attach_source(c.file, c.map, DIALECT, [Finding(
        "dsl-routing-only", Severity.INFO, "the DSL holds routing only: this policy has no providers (models and "
        "their endpoints), listeners or global settings", file=c.file, line=1, column=1,
        suggestion="add providers to the imported YAML before deploying it")])
    unresolved = [f for f in validate_policy(policy, include_import_notes=False)
                  if f.code in REFERENCE_CODES and f.severity is Severity.ERROR]
    if unresolved:
        raise PolicyError(unresolved)
    return policy


def loads_dsl(text: str, file: str | None = None) -> Policy:
    """Parse and compile DSL source into a :class:`Policy` (dialect ``dsl``, positions in the DSL)."""
    return compile_blocks(parse(text, file), file)
