"""The conflict finding record handed from the engine to the UI and the CLI (spec §9).

Witnesses and SMT-LIB text are produced on demand: an analysis of a few hundred decisions
decides every finding quickly, and only the findings someone looks at pay for a concrete
request. ``region`` is a small predicate over simulation columns (see :mod:`.traffic`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import z3

from ..errors import Severity
from ..formatting import count, percent, usd
from .witness import Witness

# Region predicates over simulated rows: ("match", decision) | ("leaf", leaf key) | ("winner", decision | None)
# | ("not", r) | ("and", [r...]) | ("or", [r...]) | ("true",)
Region = tuple

EVIDENCE = ("proved", "possible", "observed", "unknown")


def finding_id(kind: str, decisions: list[str]) -> str:
    """Stable across runs: hash of the kind and the sorted decision names."""
    return hashlib.sha1("\x1f".join([kind] + sorted(decisions)).encode()).hexdigest()[:12]


@dataclass
class Repair:
    """A proposed config change with its locality proof (spec §7)."""

    kind: str  # reorder, guard, partition, threshold
    description: str
    diff: str
    local: bool | None  # UNSAT(B ∧ ¬R ∧ sel_P ≠ sel_P′); None = solver gave up
    winner_ok: bool | None = None  # UNSAT(B ∧ R ∧ sel_P′ ≠ a_w) when a winner was named
    counterexample: Witness | None = None  # a request routed differently outside R (or wrongly inside), as P reads it
    policy: Any = None  # the repaired Policy copy
    counterexample_after: Witness | None = None  # the same request as P′ reads it (differs when signals change)
    dropped: str | None = None  # why it is not offered (repairs.why_dropped); None: it is

    def to_dict(self) -> dict[str, Any]:
        after = self.counterexample_after
        return {"kind": self.kind, "description": self.description, "diff": self.diff,
                "locality": {"local": self.local, "winner_ok": self.winner_ok,
                             "counterexample": self.counterexample.to_dict() if self.counterexample else None,
                             "counterexample_after": after.to_dict() if after else None}}


@dataclass
class ConflictFinding:
    kind: str
    severity: Severity
    profile: str
    decisions: list[str]
    explanation: str
    evidence: str = "proved"
    signals: list[str] = field(default_factory=list)
    region: Region = ("true",)
    share: float | None = None
    share_ci: tuple[float, float] | None = None
    count: int | None = None
    cost_in_region: float | None = None
    stake: float | None = None
    witnesses_real: list[str] = field(default_factory=list)  # request ids of logged requests in the region
    witnesses_real_text: list[str] = field(default_factory=list)  # their prompts, when the traffic had them
    repairs: list[Repair] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False  # the policy's annotations declare this overlap intended (see .intent)
    # on-demand parts: the query (for SMT-LIB) and a way to produce a model of it
    _query_fn: Callable[[], list[z3.BoolRef]] | None = field(default=None, repr=False)
    _witness_fn: Callable[[], Witness | None] | None = field(default=None, repr=False)
    _witness: Witness | None = field(default=None, repr=False)
    _smtlib: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return finding_id(self.kind, self.decisions)

    @property
    def witness_synthetic(self) -> Witness | None:
        if self._witness is None and self._witness_fn is not None:
            self._witness = self._witness_fn()
            self._witness_fn = None
        return self._witness

    @property
    def smtlib(self) -> str:
        """The query as SMT-LIB 2 (background included), for audit."""
        if self._smtlib is None:
            solver = z3.Solver()
            solver.add(*(self._query_fn() if self._query_fn else []))
            self._smtlib = solver.to_smt2()
        return self._smtlib

    def traffic_line(self) -> str | None:
        """'37 logged requests · 0.6 % of traffic · $0.0123 cost in the region' once weighed by traffic, else None."""
        if self.share is None:
            return None
        line = f"{count(self.count)} logged requests · {percent(self.share)} of traffic"
        if self.cost_in_region is not None:
            line += f" · {usd(self.cost_in_region)} cost in the region"
        if self.stake:
            line += f" · {usd(self.stake)} at stake"
        return line

    def sort_key(self) -> tuple:
        """Active before accepted; errors first, then what the accident costs, then how much traffic it touches."""
        return (self.accepted, self.severity.rank, -(self.stake or 0.0), -(self.share or 0.0), self.kind,
                self.decisions)

    def to_dict(self, with_smtlib: bool = True) -> dict[str, Any]:
        witness = self.witness_synthetic
        return {
            "id": self.id, "kind": self.kind, "severity": self.severity.value, "profile": self.profile,
            "decisions": self.decisions, "signals": self.signals, "evidence": self.evidence,
            "explanation": self.explanation, "smtlib": self.smtlib if with_smtlib else None,
            "witness_synthetic": witness.to_dict() if witness else None, "witnesses_real": self.witnesses_real,
            "witnesses_real_text": self.witnesses_real_text,
            "share": self.share, "share_ci": list(self.share_ci) if self.share_ci else None, "count": self.count,
            "cost_in_region": self.cost_in_region, "stake": self.stake,
            "repairs": [r.to_dict() for r in self.repairs], "data": self.data, "accepted": self.accepted,
        }


@dataclass
class FindingGroup:
    """Findings of one kind and severity, so 245 overlaps read as one line with its members below.

    Members are anything with ``kind``, ``severity``, ``accepted`` and ``share`` (the studio groups its
    check items, validator findings included, the same way)."""

    kind: str
    severity: Severity
    accepted: bool
    findings: list[Any]

    @property
    def key(self) -> str:
        return f"{self.severity.value}:{self.kind}" + (":accepted" if self.accepted else "")

    @property
    def share(self) -> float | None:
        """The largest member's share of traffic (regions overlap, so shares do not add); None unweighed."""
        shares = [f.share for f in self.findings if f.share is not None]
        return max(shares) if shares else None

    @property
    def title(self) -> str:
        """'WARNING · overlap (245) · largest share 3.1% of traffic', or 'ACCEPTED AS INTENDED · overlap (6)'."""
        state = "ACCEPTED AS INTENDED" if self.accepted else self.severity.value.upper()
        share = f" · largest share {percent(self.share)} of traffic" if self.share is not None else ""
        return f"{state} · {self.kind} ({len(self.findings)}){share}"

    def rank_key(self) -> tuple:
        """Active groups before accepted ones; errors first; then traffic share when known; then size."""
        return (self.accepted, self.severity.rank, -(self.share or 0.0), -len(self.findings), self.kind)


def group_findings(findings: list[Any], member_key: Callable[[Any], Any] = ConflictFinding.sort_key
                   ) -> list[FindingGroup]:
    """Findings grouped by (kind, severity, accepted), groups ranked by :meth:`FindingGroup.rank_key`,
    members by ``member_key``."""
    groups: dict[tuple, FindingGroup] = {}
    for f in sorted(findings, key=member_key):
        key = (f.kind, f.severity, f.accepted)
        groups.setdefault(key, FindingGroup(f.kind, f.severity, f.accepted, [])).findings.append(f)
    return sorted(groups.values(), key=FindingGroup.rank_key)
