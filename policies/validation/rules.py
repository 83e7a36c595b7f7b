"""Rule-tree checks: operators, NOT arity, leaf/composite shape, bounds, and references to signals."""

from __future__ import annotations

from typing import Iterator

from ..errors import Finding
from ..labels import COMPLEXITY_LEVELS
from ..model import OPERATORS, RuleNode, Signal
from .base import MAX_RULE_DEPTH, MAX_RULE_NODES, Context, did_you_mean, error, profile_check, unknown_keys
from .contract import ON_ERROR, ON_UNKNOWN, contract


def _node_findings(node: RuleNode, path: tuple, is_root: bool, decision: str) -> Iterator[Finding]:
    yield from unknown_keys(node.extra_fields(), contract()["rule_node"], path, "rule")
    composite = node.operator is not None or node.conditions is not None
    if node.is_leaf and composite:
        yield error("rule-shape", f"decision '{decision}': a rule node is either a leaf (type, name) or a composite "
                    "(operator, conditions), not both", path, "split it into a leaf inside a composite")
    if node.is_leaf:
        if not node.type or not node.name:
            yield error("rule-shape", f"decision '{decision}': a leaf needs both type and name", path)
    elif composite:
        op = str(node.operator or "AND")
        if op.upper() not in OPERATORS:
            where = "root" if is_root else "nested"
            yield error("rule-operator", f"decision '{decision}': unknown {where} operator '{op}' (vllm-sr 0.4.0 "
                        "accepts it at the root; the Aug-2026 router evaluates it as OR, later ones reject it)",
                        path + ("operator",), "use AND, OR or NOT (XOR = (A OR B) AND NOT (A AND B))")
        elif op.upper() == "NOT" and len(node.conditions or []) != 1:
            yield error("not-arity", f"decision '{decision}': NOT takes exactly one condition, found "
                        f"{len(node.conditions or [])}", path + ("conditions",),
                        "wrap several conditions in an AND/OR inside the NOT")
        elif op.upper() == "OR" and not node.conditions:
            yield error("dead-decision" if is_root else "empty-or",
                        f"decision '{decision}': OR with no conditions matches nothing", path,
                        "add conditions or use AND with no conditions for a catch-all")
    if node.on_unknown is not None:
        if not is_root:
            yield error("on-unknown-placement", "on_unknown is only allowed on the root of rules", path + ("on_unknown",))
        elif node.on_unknown not in ON_UNKNOWN:
            yield error("on-unknown", f"on_unknown must be one of {', '.join(ON_UNKNOWN)}", path + ("on_unknown",))
        if node.on_error is not None:
            yield error("on-unknown-on-error", "on_unknown and on_error cannot be combined (vLLM SR #3208)", path)
    if node.on_error is not None and node.on_error not in ON_ERROR:
        yield error("on-error", f"on_error must be one of {', '.join(ON_ERROR)}", path + ("on_error",))


def _leaf_reference(ctx: Context, leaf: RuleNode, path: tuple, decision: str) -> Iterator[Finding]:
    routing = ctx.profile.routing
    if leaf.type == "projection":
        outputs = routing.projections.output_names() if routing.projections else set()
        if leaf.name not in outputs:
            yield error("dangling-reference", f"decision '{decision}' references projection output '{leaf.name}', "
                        "which no mapping defines", path + ("name",), did_you_mean(leaf.name, outputs))
        return
    kind = Signal.kind(leaf.type)
    if kind is None:
        yield error("unknown-signal-type", f"decision '{decision}' uses unknown condition type '{leaf.type}'",
                    path + ("type",), did_you_mean(leaf.type, list(Signal.leaf_types()) + ["projection"]))
        return
    name = leaf.name
    if ":" in name and kind.leaf_type != "complexity":
        yield error("dangling-reference", f"'{name}': the name:level form is only for complexity signals",
                    path + ("name",), f"use '{name.split(':')[0]}'")
        return
    if kind.leaf_type == "complexity":
        base, _, level = name.partition(":")
        if level not in COMPLEXITY_LEVELS:
            yield error("dangling-reference", f"complexity reference '{name}' needs a level: "
                        f"{', '.join(f'{base}:{lv}' for lv in COMPLEXITY_LEVELS)}", path + ("name",))
            return
    signal = routing.find_signal(leaf.type, name)
    if signal is None:
        declared = [s.name for c, s in routing.all_signals() if c == kind.collection]
        yield error("dangling-reference", f"decision '{decision}' references {leaf.type} signal '{name}', which is "
                    f"not declared in signals.{kind.collection}", path + ("name",),
                    did_you_mean(name.split(":")[0], declared) or f"declare it under signals.{kind.collection}")
        return
    yield from kind.reference_findings(list(getattr(routing.signals, kind.collection) or []), name, decision, path)
    if kind.leaf_type == "classifier":
        labels = getattr(signal, "labels", None) or []
        if not leaf.label:
            yield error("classifier-label", f"classifier condition '{name}' needs a label", path,
                        f"add label: one of {', '.join(labels)}" if labels else "add label: <label>")
        elif labels and leaf.label not in labels:
            yield error("classifier-label", f"classifier '{name}' has no label '{leaf.label}'", path + ("label",),
                        did_you_mean(leaf.label, labels))
        if not leaf.predicate and not _bound_operating_point(routing.extra_fields().get("model_bindings"), name):
            yield error("classifier-predicate", f"classifier condition '{name}' needs a score predicate or a "
                        "bound operating_point (vllm-sr 0.4.0 rejects a bare label)", path,
                        "add predicate: {gte: 0.5}")


def _bound_operating_point(bindings: object, classifier: str) -> bool:
    """Whether ``routing.model_bindings`` binds ``classifier.<name>`` with an operating point under the
    ``label_scores.v1`` contract: vllm-sr 0.4.0 then takes a bare label (cli/validator_classifier.py)."""
    bound = bindings.get(f"classifier.{classifier}") if isinstance(bindings, dict) else None
    return isinstance(bound, dict) and bound.get("operating_point") is not None \
        and bound.get("contract") == "label_scores.v1"


@profile_check
def rule_trees(ctx: Context) -> Iterator[Finding]:
    for i, decision in enumerate(ctx.profile.routing.all_decisions()):
        if decision.rules is None:
            continue
        base = ctx.path("decisions", i, "rules")
        root = decision.rules
        size, depth = root.size(), root.depth()
        if depth > MAX_RULE_DEPTH or size > MAX_RULE_NODES:
            yield error("rule-bounds", f"decision '{decision.name}' rule tree has depth {depth} and {size} nodes; "
                        f"the bound is depth {MAX_RULE_DEPTH} and {MAX_RULE_NODES} nodes", base,
                        "split the decision or factor shared conditions into a projection")
        for rel, node in root.walk():
            path = base + rel
            yield from _node_findings(node, path, node is root, decision.name)
            if node.is_leaf and node.type and node.name:
                yield from _leaf_reference(ctx, node, path, decision.name)
        if decision.extra_fields().get("action") is not None and not any(
                leaf.type == "jailbreak" for _, leaf in root.leaves()):
            yield error("action-without-jailbreak", f"decision '{decision.name}': action is only accepted when the "
                        "rules contain a jailbreak condition", ctx.path("decisions", i, "action"))
