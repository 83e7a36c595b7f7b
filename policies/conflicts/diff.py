"""Version diff: a request two policies route differently, or a proof that they never do (spec §5)."""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ..evaluate import route
from ..model import Policy, Routing
from ..signals.settings import SignalSettings
from .encoding import Encoding
from .pool import VarPool
from .selection import ActionIds, selected_action
from .witness import Witness, build_witness


@dataclass
class DiffResult:
    """One profile's verdict: ``equivalent`` True (proved), False (with witnesses) or None (timeout)."""

    profile: str
    equivalent: bool | None
    witness_a: Witness | None = None
    witness_b: Witness | None = None
    decision_a: str | None = None
    decision_b: str | None = None
    smtlib: str = ""

    def describe(self) -> str:
        label = self.profile or "routing"
        if self.equivalent:
            return f"{label}: proved equivalent (no request is routed differently)"
        if self.equivalent is None:
            return f"{label}: undecided (solver timeout)"
        return (f"{label}: differs, e.g. {self.witness_a.describe() if self.witness_a else '?'} → "
                f"'{self.decision_a or 'default'}' vs '{self.decision_b or 'default'}'")


def _profiles(policy: Policy) -> dict[str, Routing]:
    return {p.name: p.routing for p in policy.profiles()}


def diff_routing(a: Routing, default_a: str | None, b: Routing, default_b: str | None, profile: str = "",
                 timeout_ms: int = 10000, settings: tuple[SignalSettings, SignalSettings] | None = None) -> DiffResult:
    """SAT(B ∧ sel_a ≠ sel_b) over shared signal variables (``settings``: each side's signal settings,
    :meth:`SignalSettings.of` its policy's ``global``; the router's defaults when None)."""
    pool, ids = VarPool(), ActionIds()
    settings_a, settings_b = settings or (SignalSettings(), SignalSettings())
    enc_a, enc_b = Encoding(a, pool, settings_a), Encoding(b, pool, settings_b)
    differs = selected_action(enc_a, a, default_a, ids) != selected_action(enc_b, b, default_b, ids)
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*enc_a.background(), *enc_b.constraints, differs)
    result = solver.check()
    smt = solver.to_smt2()
    if result == z3.unsat:
        return DiffResult(profile, True, smtlib=smt)
    if result != z3.sat:
        return DiffResult(profile, None, smtlib=smt)
    model = solver.model()
    wa, wb = build_witness(enc_a, model), build_witness(enc_b, model)
    return DiffResult(profile, False, wa, wb, route(a, wa.state, default_a).decision_name,
                      route(b, wb.state, default_b).decision_name, smt)


def diff_policies(a: Policy, b: Policy, timeout_ms: int = 10000) -> list[DiffResult]:
    """Every profile of either policy: proved equivalent, or a distinguishing request (absent profile = no decisions)."""
    pa, pb = _profiles(a), _profiles(b)
    out = []
    for name in sorted(set(pa) | set(pb)):
        out.append(diff_routing(pa.get(name) or Routing(), a.default_model, pb.get(name) or Routing(),
                                b.default_model, name, timeout_ms,
                                (SignalSettings.of(a.global_), SignalSettings.of(b.global_))))
    return out
