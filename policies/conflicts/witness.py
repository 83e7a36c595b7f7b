"""Synthetic witness requests from solver models (spec §4 level 1).

A witness is two things: a readable request (text with the keywords that must be present and
none of the others, a token count, headers, the labels and scores classifiers must report) and
the :data:`policies.evaluate.SignalState` that request produces, so tests and the UI can replay
it through :func:`policies.evaluate.route` and see the named decisions really trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from ..evaluate import LeafKey, SignalHit
from .encoding import Encoding


@dataclass
class Witness:
    """A concrete request and the signal state it yields."""

    state: dict[LeafKey, SignalHit]
    request: dict[str, Any] = field(default_factory=dict)

    def fired(self) -> list[str]:
        return sorted(":".join(k) for k, hit in self.state.items() if hit.fired)

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request, "fired": self.fired(),
                "state": {"::".join(k): {"fired": h.fired, "confidence": h.confidence} for k, h in self.state.items()}}

    def describe(self) -> str:
        r = self.request
        parts = [f"text={r.get('text')!r}"]
        if r.get("tokens") is not None:
            parts.append(f"tokens={r['tokens']}")
        for section in ("headers", "labels", "scores", "counts", "flags", "opaque"):
            if r.get(section):
                parts.append(f"{section}={r[section]}")
        return "; ".join(parts)


def build_witness(encoding: Encoding, model: z3.ModelRef) -> Witness:
    """Turn a model of B ∧ region into a request description plus its signal state."""
    pool = encoding.pool
    words: list[str] = []
    request: dict[str, Any] = {"text": "", "tokens": None, "headers": {}, "labels": {}, "scores": {}, "counts": {},
                               "flags": [], "opaque": []}
    for name, info in pool.info.items():
        if info.kind == "bool":
            if not z3.is_true(model.eval(pool.bools[name], model_completion=True)):
                continue
            if info.role == "keyword":
                words.append(info.subject)
            elif info.role == "regex":
                request["opaque"].append(f"text matching /{info.subject}/")
            elif info.role == "flag":
                request["flags"].append(info.subject)
            else:
                request["opaque"].append(info.subject)
        elif info.kind == "enum":
            label = pool.enums[name].label(model)
            if info.role == "header":
                if label != "<absent>":
                    request["headers"][info.subject] = label
            else:
                request["labels"][info.subject] = label
        elif info.role == "tokens":
            request["tokens"] = int(pool.value(name, model))
        elif info.role in ("count", "density"):
            request["counts"][info.subject] = pool.value(name, model)
        elif pool.value(name, model) != 0.0:  # zero scores are the uninformative default; omit them
            request["scores"][info.subject] = round(pool.value(name, model), 4)
    request["text"] = ". ".join(words)
    return Witness(encoding.state(model), {k: v for k, v in request.items() if v not in ({}, [], None) or k == "text"})
