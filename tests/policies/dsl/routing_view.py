"""What "the same routing" means in the DSL tests, stated once.

Two policies route the same when these views are equal:

- ``strategy``: ``routing.strategy`` (``priority`` when absent, the router's default).
- ``signals``: per collection, each signal's fields keyed by signal name (declaration order does not
  change what a signal matches).
- ``projections``: partitions, scores and mappings keyed by name, with the ``method`` the router's
  DSL parser fills (``weighted_sum`` for scores, ``threshold_bands`` for mappings).
- ``modelCards``: each card's fields keyed by model name.
- ``decisions``: in order, each with name, description, effective priority and tier (0 when
  absent), its rule tree normalised, and modelRefs, algorithm and plugins as written, plus any other
  key the decision has.

Rule trees normalise as the router evaluates them: ``AND``/``OR`` nested in the same operator
flatten, an ``AND``/``OR`` of one condition is that condition, an ``AND`` of none (or no rules) is
the catch-all. Throughout, a field holding its Go zero value (``false``, ``0``, ``""``, ``[]``,
``{}``, null) counts as absent: the router's config structs cannot tell the two apart.
"""

from __future__ import annotations

from typing import Any

from policies.model import Policy

_DEFAULT_METHOD = {"scores": "weighted_sum", "mappings": "threshold_bands"}


def _is_zero(value: Any) -> bool:
    return value is None or value is False or value in ("", [], {}) or (type(value) in (int, float) and value == 0)


def _nonzero(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _nonzero(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if not _is_zero(v)}
    if isinstance(value, list):
        return [_nonzero(v) for v in value]
    return value


def rules_view(node: dict[str, Any] | None) -> Any:
    if node is None:
        return "TRUE"
    if node.get("type") is not None or node.get("name") is not None:
        return ("leaf", _nonzero(node))
    op = str(node.get("operator") or "AND").upper()
    children = [rules_view(c) for c in node.get("conditions") or []]
    if op in ("AND", "OR"):
        flat: list[Any] = []
        for child in children:
            flat.extend(child[1] if isinstance(child, tuple) and child[0] == op else [child])
        if len(flat) == 1:
            return flat[0]
        if op == "AND" and not flat:
            return "TRUE"
        return (op, flat)
    return (op, children)


def routing_view(policy: Policy) -> dict[str, Any]:
    routing = policy.to_spec().get("routing") or {}
    projections = {}
    for collection, entries in (routing.get("projections") or {}).items():
        default = {"method": _DEFAULT_METHOD[collection]} if collection in _DEFAULT_METHOD else {}
        projections[collection] = {e["name"]: _nonzero({**default, **e}) for e in entries or []}
    decisions = []
    for d in routing.get("decisions") or []:
        view = _nonzero({k: v for k, v in d.items() if k != "rules"})
        view.update(priority=d.get("priority") or 0, tier=d.get("tier") or 0, rules=rules_view(d.get("rules")))
        decisions.append(view)
    return {
        "strategy": routing.get("strategy") or "priority",
        "signals": {c: {e["name"]: _nonzero(e) for e in entries or []}
                    for c, entries in (routing.get("signals") or {}).items() if entries},
        "projections": {c: v for c, v in projections.items() if v},
        "modelCards": {c["name"]: _nonzero(c) for c in routing.get("modelCards") or []},
        "decisions": decisions,
    }
