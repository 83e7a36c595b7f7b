"""Single-request evaluation: rule trees with truth values and confidences, then the winner.

This is the reference semantics (shared spec §7). The vectorised simulation must agree with it
on every request, and conflict-analysis witnesses are checked against it.

Signal state maps a *leaf key* to what the signal reported for the request: ``("domain",
"math")``, ``("complexity", "difficulty:hard")``, ``("classifier", "intent", "billing")`` (label
leaves) or ``("projection", "<output>")``. A missing key means the signal did not fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .model import Decision, RuleNode, Routing
from .ranking import Candidate, decided_by, rank
from .rule_tree import fold

LeafKey = tuple[str, ...]


@dataclass(frozen=True)
class SignalHit:
    """One leaf's outcome: whether it fired, and its score when the signal is scored (None = crisp)."""

    fired: bool
    confidence: float | None = None


SignalState = Mapping[LeafKey, SignalHit]


def leaf_key(node: RuleNode) -> LeafKey:
    if node.type == "classifier" and node.label:
        return ("classifier", str(node.name), str(node.label))
    return (str(node.type), str(node.name))


@dataclass
class NodeResult:
    node: RuleNode
    value: bool
    confidence: float  # AND = mean, OR = max of true children, NOT/crisp = 1.0
    scored: bool  # some scored signal contributed
    children: list["NodeResult"] = field(default_factory=list)

    def describe(self, indent: int = 0) -> str:
        """The tree with truth values, one node per line (for explanations)."""
        pad = "  " * indent
        mark = "✓" if self.value else "✗"
        if self.node.is_leaf:
            head = f"{pad}{mark} {self.node.type}({self.node.name}{':' + self.node.label if self.node.label else ''})"
            return head + (f" conf={self.confidence:.3f}" if self.scored else "")
        label = "TRUE (catch-all)" if self.node.is_catch_all else self.node.op
        lines = [f"{pad}{mark} {label}"] + [c.describe(indent + 1) for c in self.children]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Evaluation:
    """The Python back-end of :func:`policies.rule_tree.fold`: truth values and confidences of one request."""

    state: SignalState

    def leaf(self, node: RuleNode) -> NodeResult:
        hit = self.state.get(leaf_key(node), SignalHit(False))
        scored = hit.confidence is not None
        return NodeResult(node, hit.fired, hit.confidence if scored else 1.0, scored)

    def all_of(self, node: RuleNode, children: list[NodeResult]) -> NodeResult:
        conf = sum(c.confidence for c in children) / len(children) if children else 1.0
        return NodeResult(node, all(c.value for c in children), conf, any(c.scored for c in children), children)

    def any_of(self, node: RuleNode, children: list[NodeResult]) -> NodeResult:
        true = [c for c in children if c.value]
        return NodeResult(node, bool(true), max((c.confidence for c in true), default=0.0),
                          any(c.scored for c in true), children)

    def negate(self, node: RuleNode, child: NodeResult) -> NodeResult:
        return NodeResult(node, not child.value, 1.0, False, [child])

    def never(self, node: RuleNode, children: list[NodeResult]) -> NodeResult:
        return NodeResult(node, False, 1.0, False, children)


def evaluate_tree(node: RuleNode | None, state: SignalState) -> NodeResult:
    """Evaluate a rule tree for one request (a missing tree is a catch-all)."""
    return fold(node, _Evaluation(state))


@dataclass
class RouteResult:
    """Why a request routed where it did."""

    winner: Decision | None
    model: str | None
    ranked: list[Candidate]
    trees: dict[str, NodeResult]
    decided_by: str

    @property
    def decision_name(self) -> str | None:
        return self.winner.name if self.winner else None


def select_model(decision: Decision | None, default_model: str | None) -> str | None:
    """Static selection: the decision's first modelRef (the default model when nothing matched)."""
    if decision is None:
        return default_model
    refs = decision.model_refs or []
    return refs[0].model if refs else None


def route(routing: Routing, state: SignalState, default_model: str | None, mode: str = "current") -> RouteResult:
    """Evaluate every decision and rank the matches as the router does."""
    trees = {d.name: evaluate_tree(d.rules, state) for d in routing.all_decisions()}
    candidates = [Candidate(d, trees[d.name].confidence if trees[d.name].scored else None)
                  for d in routing.all_decisions() if trees[d.name].value]
    ranked = rank(candidates, routing.strategy_name, mode)
    winner = ranked[0].decision if ranked else None
    return RouteResult(winner, select_model(winner, default_model), ranked, trees,
                       decided_by(ranked, routing.strategy_name, mode))
