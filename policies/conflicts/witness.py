"""Synthetic witness requests from solver models (spec §4 level 1).

A witness is three things: the raw request the solver found (keywords that must be present and
none of the others, a token count, headers, the labels and scores classifiers must report); the
same request as a designer reads it (issue 14, item 3): an *example* prompt built from the policy's
own words (the keywords the model sets, the first candidate phrase of one firing embedding signal), with a named
placeholder such as ``[jailbreak 'prompt_injection' scores ≥ 0.80]`` where no text of ours can make
a classifier fire, and one :class:`SignalRow` per signal (value → threshold → fires); and the
:data:`policies.evaluate.SignalState` that request produces, so tests and the UI can replay it
through :func:`policies.evaluate.route` and see the named decisions really trigger. An example with
no placeholder is a real prompt: simulated offline it routes into the witness's region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from ..evaluate import LeafKey, SignalHit
from ..formatting import score
from ..model import RuleNode, Routing
from .encoding import Encoding

DOMAIN_LABEL = "MMLU domain"  # the pool subject the domain kind's solver atom reads (signals/domain.py)


@dataclass(frozen=True)
class SignalRow:
    """One line of the witness table: what the signal reads on the example, against what it needs."""

    signal: str  # "type:name" (with "[label]" for a classifier label), as ConflictFinding.signals names it
    value: str
    threshold: str
    fires: bool


@dataclass
class Witness:
    """A concrete request and the signal state it yields."""

    state: dict[LeafKey, SignalHit]
    request: dict[str, Any] = field(default_factory=dict)
    example: str = ""  # the request as a prompt (see the module docstring)
    placeholders: list[str] = field(default_factory=list)  # parts of ``example`` no text of ours realises
    rows: list[SignalRow] = field(default_factory=list)

    def table(self, signals: list[str] | None = None) -> list[SignalRow]:
        """The rows of ``signals`` (all when None), firing ones first."""
        rows = [r for r in self.rows if signals is None or r.signal in signals]
        return sorted(rows, key=lambda r: (not r.fires, r.signal))

    def fired(self) -> list[str]:
        return sorted(":".join(k) for k, hit in self.state.items() if hit.fired)

    def to_dict(self) -> dict[str, Any]:
        return {"example": self.example, "placeholders": self.placeholders,
                "table": [vars(r) for r in self.rows], "request": self.request, "fired": self.fired(),
                "state": {"::".join(k): {"fired": h.fired, "confidence": h.confidence} for k, h in self.state.items()}}

    def beside_text(self) -> str:
        """What the request carries besides its prompt (headers, flags): `` with headers {'x-tier': 'gold'}``."""
        return "".join(f" with {k} {v}" for k, v in self.request.items() if k in ("headers", "flags"))

    def describe(self) -> str:
        """One line: ``'kill myself. [a computer science question]' with headers {'x-tier': 'gold'}``."""
        return f"{self.example!r}{self.beside_text()}"


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
    state = encoding.state(model)
    request = {k: v for k, v in request.items() if v not in ({}, [], None) or k == "text"}
    example, placeholders = _example(encoding, state, words, request)
    return Witness(state, request, example, placeholders, _rows(encoding, state, words, request))


def _signal_label(leaf: RuleNode) -> str:
    return f"{leaf.type}:{leaf.name}" + (f"[{leaf.label}]" if leaf.label else "")


def _threshold(routing: Routing, leaf: RuleNode) -> float | None:
    signal = routing.evaluated_signal(str(leaf.type), str(leaf.name))
    return signal.effective_threshold() if signal is not None and "threshold" in type(signal).model_fields else None


def _keywords_of(routing: Routing, leaf: RuleNode, words: list[str]) -> list[str]:
    signal = routing.evaluated_signal(str(leaf.type), str(leaf.name))
    return [w for w in words if w in (getattr(signal, "keywords", None) or [])]


def _example(encoding: Encoding, state: dict[LeafKey, SignalHit], words: list[str],
             request: dict[str, Any]) -> tuple[str, list[str]]:
    """(prompt, placeholders): the keywords, a candidate phrase per firing embedding signal, a named placeholder
    for every other firing signal no text of ours makes fire."""
    routing, parts, placeholders, phrased = encoding.routing, list(words), [], False
    for key, leaf in encoding.leaves().items():
        if not state[key].fired or (leaf.type == "keyword" and _keywords_of(routing, leaf, words)):
            continue
        signal = routing.evaluated_signal(str(leaf.type), str(leaf.name))
        candidates = getattr(signal, "candidates", None) if leaf.type == "embedding" else None
        if candidates and not phrased:  # one phrase: two blended into one prompt are close to neither
            parts.append(str(candidates[0]))
            phrased = True
            continue
        threshold = _threshold(routing, leaf)
        if leaf.type == "domain" and request.get("labels", {}).get(DOMAIN_LABEL):
            what = f"a {request['labels'][DOMAIN_LABEL]} question"
        else:
            what = f"{leaf.type} '{leaf.name}'" + (f" [{leaf.label}]" if leaf.label else "") + (
                f" scores ≥ {score(threshold, 2)}" if threshold is not None else " fires")
        placeholders.append(f"[{what}]")
    if request.get("tokens") is not None:
        placeholders.append(f"[… about {request['tokens']} tokens in all]")
    if not parts and not placeholders:
        placeholders.append("[any prompt no signal fires on]")
    return ". ".join(parts + placeholders), placeholders


def _rows(encoding: Encoding, state: dict[LeafKey, SignalHit], words: list[str],
          request: dict[str, Any]) -> list[SignalRow]:
    routing, rows = encoding.routing, []
    for key, leaf in encoding.leaves().items():
        hit, threshold = state[key], _threshold(routing, leaf)
        if hit.confidence is not None:
            value = score(hit.confidence, 2)
        elif leaf.type == "keyword":
            value = ", ".join(repr(w) for w in _keywords_of(routing, leaf, words)) or "no keyword"
        elif leaf.type == "domain":
            value = request.get("labels", {}).get(DOMAIN_LABEL, "—")
        else:
            value = "—"
        rows.append(SignalRow(_signal_label(leaf), value, "—" if threshold is None else f"≥ {score(threshold, 2)}",
                              hit.fired))
    return rows
