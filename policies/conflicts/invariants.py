"""User invariants (Zelkova style): a precondition over signals and a property of the routing outcome.

Read from a side file (``--invariants FILE``) so exports stay valid for vllm-sr 0.4.0, which
rejects unknown keys. Form (YAML list, or ``{invariants: [...]}``)::

    - name: pii stays local
      profile: ""                 # optional: a recipe name; default the top-level routing
      when: {type: pii, name: personal_data}      # a rule tree, same shape as decision rules
      then: {model_not_in: [gpt-4o, gpt-4o-mini]} # or model_in / decision / has_plugin

Proof: UNSAT(B ∧ when ∧ winner constraints ∧ ¬then). Tied decisions may each win, so a proof
holds whatever confidence decides; a violation comes with a witness request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
import z3

from ..errors import PolicyError, Severity
from ..model import Decision, RuleNode
from .analysis import ProfileAnalysis
from .findings import ConflictFinding
from .selection import DEFAULT, winner_constraints

PROPERTIES = ("model_not_in", "model_in", "decision", "has_plugin")


@dataclass
class Invariant:
    name: str
    when: RuleNode | None
    then: dict[str, Any]
    profile: str = ""

    def holds_for(self, decision: Decision | None, default_model: str | None) -> bool:
        """Whether routing to ``decision`` (None = the default model, no plugins) satisfies ``then``."""
        models = decision.models() if decision else [default_model or ""]
        plugins = [p.type for p in (decision.plugins or [])] if decision else []
        checks = {
            "model_not_in": lambda v: not set(models) & set(v),
            "model_in": lambda v: set(models) <= set(v),
            "decision": lambda v: decision is not None and decision.name == v,
            "has_plugin": lambda v: v in plugins,
        }
        return all(checks[key](value) for key, value in self.then.items())


def parse_invariants(data: Any) -> list[Invariant]:
    """Invariants from parsed YAML; malformed entries raise :class:`PolicyError` naming the entry."""
    items = data.get("invariants") if isinstance(data, dict) else data
    out = []
    for i, item in enumerate(items or []):
        if not isinstance(item, dict) or not isinstance(item.get("then"), dict):
            raise PolicyError.single("invariant-shape", f"invariant #{i + 1} needs a 'then' mapping", path=(i,))
        unknown = set(item["then"]) - set(PROPERTIES)
        if unknown or not item["then"]:
            raise PolicyError.single("invariant-shape", f"invariant #{i + 1}: 'then' takes one of "
                                     f"{', '.join(PROPERTIES)}", path=(i, "then"))
        when = RuleNode.from_spec(item["when"]) if item.get("when") else None
        out.append(Invariant(str(item.get("name") or f"invariant-{i + 1}"), when, dict(item["then"]),
                             str(item.get("profile") or "")))
    return out


def load_invariants(path: str | Path) -> list[Invariant]:
    try:
        return parse_invariants(yaml.safe_load(Path(path).read_text()))
    except yaml.YAMLError as exc:
        raise PolicyError.single("invariant-yaml", f"cannot read invariants: {exc}", file=str(path)) from None


def check_invariant(analysis: ProfileAnalysis, invariant: Invariant) -> ConflictFinding:
    """A violation (error, with witness) or a proof (info)."""
    enc, order = analysis.encoding, analysis.order
    default = analysis.policy.default_model
    pre = enc.formula(invariant.when) if invariant.when else z3.BoolVal(True)
    wins, constraints = winner_constraints(enc, order, analysis.beats, f"__winner_{invariant.name}")
    bad = [k for k, d in enumerate(order) if not invariant.holds_for(d, default)]
    if not invariant.holds_for(None, default):
        bad.append(DEFAULT)
    extra = constraints + [pre, z3.Or([wins[k] for k in bad]) if bad else z3.BoolVal(False)]
    outcome = analysis.solver.check([], extra)
    when = invariant.when.describe() if invariant.when else "any request"
    what = ", ".join(f"{k}: {v}" for k, v in invariant.then.items())
    if outcome.unsat:
        return analysis.finding("invariant-proved", Severity.INFO, [], f"invariant '{invariant.name}' holds: "
                                f"whenever {when}, the outcome satisfies {what}", extra=extra, with_witness=False,
                                signals=[], invariant=invariant.name)
    if not outcome.sat:
        finding = analysis.undecided("invariant-violated", [], f"invariant '{invariant.name}' holds", [])
        finding.data["invariant"] = invariant.name
        return finding
    k = next(k for k, w in wins.items() if z3.is_true(outcome.model.eval(w, model_completion=True)))
    names = [order[k].name] if k != DEFAULT else []
    target = f"decision '{order[k].name}'" if k != DEFAULT else "the default model (no decision matched)"
    finding = analysis.finding("invariant-violated", Severity.ERROR, [k] if k != DEFAULT else [],
                               f"invariant '{invariant.name}' is violated: a request with {when} can be routed to "
                               f"{target}, which breaks {what}", extra=extra, model=outcome.model, signals=[],
                               evidence="proved" if analysis.evidence([k] if k != DEFAULT else []) == "proved"
                               else "possible", invariant=invariant.name,
                               region=("and", [("rule", invariant.when.to_spec() if invariant.when else None),
                                                ("winner", names[0] if names else None)]))
    return finding


def check_invariants(analyses: list[ProfileAnalysis], invariants: list[Invariant]) -> list[ConflictFinding]:
    by_profile = {a.profile.name: a for a in analyses}
    out = []
    for inv in invariants:
        analysis = by_profile.get(inv.profile)
        if analysis is None:
            raise PolicyError.single("invariant-profile", f"invariant '{inv.name}': no profile '{inv.profile}' "
                                     "with decisions")
        out.append(check_invariant(analysis, inv))
    return out
