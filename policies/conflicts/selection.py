"""sel_P as a solver term: which action (or which decision) a profile picks for a request (spec §1).

``selected_action`` is the deterministic If-chain in :func:`policies.ranking.static_order`
(ties broken by name, as the router does when confidence is not comparable); it is what two
versions are compared on. ``winner_constraints`` is the sound over-approximation used for
invariants: among tied decisions any one may win, so a proof holds whatever confidence says.
"""

from __future__ import annotations

from typing import Sequence

import z3

from ..model import Decision, Routing
from ..ranking import static_order
from .encoding import Encoding

DEFAULT = -1  # winner code: nothing matched, the default model serves with no plugins


def default_action(default_model: str | None) -> tuple:
    """The default route in :meth:`Decision.action_key` form (so a decision that does the same compares equal)."""
    return (((default_model or "", False, "", ""),), "static", ())


class ActionIds:
    """Small integers for action keys, shared by the policies being compared."""

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}

    def __call__(self, key: tuple) -> int:
        return self.ids.setdefault(key, len(self.ids))


def selected_action(encoding: Encoding, routing: Routing, default_model: str | None, ids: ActionIds) -> z3.ArithRef:
    """If(φ₍₁₎, a₍₁₎, If(φ₍₂₎, a₍₂₎, … default)) in static precedence."""
    term: z3.ArithRef = z3.IntVal(ids(default_action(default_model)))
    for decision in reversed(static_order(routing.all_decisions())):
        term = z3.If(encoding.decision_formula(decision), z3.IntVal(ids(decision.action_key())), term)
    return term


def selected_decision(encoding: Encoding, order: Sequence[Decision]) -> z3.ArithRef:
    """Index into ``order`` of the deterministic winner (DEFAULT when nothing matches)."""
    term: z3.ArithRef = z3.IntVal(DEFAULT)
    for k in reversed(range(len(order))):
        term = z3.If(encoding.decision_formula(order[k]), z3.IntVal(k), term)
    return term


def winner_constraints(encoding: Encoding, order: Sequence[Decision], beats,
                       name: str = "__winner") -> tuple[dict[int, z3.BoolRef], list[z3.BoolRef]]:
    """One Bool per possible winner (DEFAULT included), exactly one true: k only if φₖ holds and nothing that
    always beats k matches; DEFAULT exactly when nothing matches. Booleans keep the query propositional."""
    phi = [encoding.decision_formula(d) for d in order]
    wins = {k: z3.Bool(f"{name}={k}") for k in [DEFAULT, *range(len(order))]}
    constraints = [z3.PbEq([(w, 1) for w in wins.values()], 1), wins[DEFAULT] == z3.And([z3.Not(p) for p in phi])]
    for k in range(len(order)):
        higher = [z3.Not(phi[j]) for j in range(len(order)) if beats(j, k)]
        constraints.append(z3.Implies(wins[k], z3.And([phi[k]] + higher)))
    return wins, constraints
