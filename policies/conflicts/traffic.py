"""Weighting findings by simulated traffic (spec §6) and measuring classifier co-firing (level 3).

Input is a simulated table whose columns follow :mod:`policies.columns` (``match::<decision>``,
``fired::<leaf key>``, ``conf::<leaf key>``, ``cost::<model>``) plus ``request_id``, ``cost_usd``
and, when present, ``decision`` (the winner; null = default model). Each finding's region
predicate is evaluated row-wise; nothing learnt here is ever fed back to the solver as a fact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import polars as pl

from ..columns import fired_column, match_column, outcome_column
from ..errors import Severity
from ..evaluate import leaf_key, select_model
from ..model import RuleNode, Signal
from ..rule_tree import fold
from .analysis import ProfileAnalysis, Report
from .findings import ConflictFinding, Region

PAIR_KINDS = ("overlap", "generalization", "priority-tie", "confidence-decided")


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (well-behaved at 0 and small n)."""
    if n == 0:
        return (0.0, 1.0)
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        raise ValueError(f"simulated traffic has no column '{name}' (was it simulated with this policy?)")
    return pl.col(name).fill_null(False)


@dataclass(frozen=True)
class _FiredColumns:
    """The Boolean Polars back-end of :func:`policies.rule_tree.fold` over simulated ``fired::`` columns."""

    frame: pl.DataFrame

    def leaf(self, node: RuleNode) -> pl.Expr:
        return _column(self.frame, fired_column(leaf_key(node)))

    def all_of(self, node: RuleNode, children: list[pl.Expr]) -> pl.Expr:
        return pl.all_horizontal(children) if children else pl.lit(True)

    def any_of(self, node: RuleNode, children: list[pl.Expr]) -> pl.Expr:
        return pl.any_horizontal(children) if children else pl.lit(False)

    def negate(self, node: RuleNode, child: pl.Expr) -> pl.Expr:
        return ~child

    def never(self, node: RuleNode, children: list[pl.Expr]) -> pl.Expr:
        return pl.lit(False)


def _rule_expr(frame: pl.DataFrame, node: RuleNode | None) -> pl.Expr:
    """A rule tree over ``fired::`` columns, with the evaluator's Boolean semantics."""
    return fold(node, _FiredColumns(frame))


def region_expr(frame: pl.DataFrame, region: Region) -> pl.Expr:
    """The finding's region predicate as a Polars expression over the simulated table."""
    tag = region[0]
    if tag == "true":
        return pl.lit(True)
    if tag == "match":
        return _column(frame, match_column(region[1]))
    if tag == "leaf":
        return _column(frame, fired_column(region[1]))
    if tag == "rule":
        return _rule_expr(frame, RuleNode.from_spec(region[1]) if region[1] else None)
    if tag == "winner":
        if "decision" not in frame.columns:
            raise ValueError("simulated traffic has no 'decision' (winner) column")
        return pl.col("decision").is_null() if region[1] is None else pl.col("decision") == region[1]
    if tag == "not":
        return ~region_expr(frame, region[1])
    parts = [region_expr(frame, r) for r in region[1]]
    return pl.all_horizontal(parts) if tag == "and" else pl.any_horizontal(parts)


def _stake(frame: pl.DataFrame, analysis: ProfileAnalysis, finding: ConflictFinding) -> pl.Expr | None:
    """|cost(aᵢ) − cost(aⱼ)| per row, for pair findings whose two models have counterfactual costs."""
    if finding.kind not in PAIR_KINDS or len(finding.decisions) != 2:
        return None
    default = analysis.policy.default_model
    models = [select_model(analysis.routing.decision(n), default) for n in finding.decisions]
    cols = [outcome_column("cost", m) for m in models if m]
    if len(cols) != 2 or any(c not in frame.columns for c in cols):
        return None
    return (pl.col(cols[0]) - pl.col(cols[1])).abs()


def weigh_findings(report: Report, frame: pl.DataFrame, profile: str = "", top_k: int = 5,
                   prompts: pl.DataFrame | None = None) -> None:
    """Fill count, share (Wilson 95 %), cost_in_region, stake and real witnesses; then re-rank.

    ``prompts`` (``request_id``, ``prompt``: the traffic the table was simulated from) adds the logged text of
    each real witness, so a finding shows the requests that hit its region, not only their ids."""
    n = frame.height
    if prompts is not None and "prompt" not in frame.columns:
        frame = frame.join(prompts.select("request_id", "prompt"), on="request_id", how="left")
    analysis = next((p.analysis for p in report.profiles if p.profile.name == profile), None)
    for finding in report.findings:
        if finding.profile != profile or analysis is None or finding.region == ("true",):
            continue
        rows = frame.filter(region_expr(frame, finding.region))
        finding.count = rows.height
        finding.share = rows.height / n if n else 0.0
        finding.share_ci = wilson(rows.height, n)
        if "cost_usd" in rows.columns:
            finding.cost_in_region = float(rows["cost_usd"].sum() or 0.0)
        stake = _stake(frame, analysis, finding)
        if stake is not None:
            rows = rows.with_columns(stake.alias("__stake")).sort("__stake", descending=True)
            finding.stake = float(rows["__stake"].sum() or 0.0)
        if "request_id" in rows.columns:
            finding.witnesses_real = [str(x) for x in rows["request_id"].head(top_k).to_list()]
        if "prompt" in rows.columns:
            finding.witnesses_real_text = [str(x or "") for x in rows["prompt"].head(top_k).to_list()]
        if finding.evidence == "possible":
            if rows.height:
                finding.evidence = "observed"
            elif n:
                finding.data["rule_of_three_bound"] = 3 / n  # 95 % upper bound on the share when none were seen
    report.findings.extend(co_firing(analysis, frame, report.findings) if analysis else [])
    report.sort()


def _leaves(analysis: ProfileAnalysis, name: str) -> list[RuleNode]:
    rules = analysis.routing.decision(name).rules
    return [leaf for _, leaf in (rules.leaves() if rules else [])]


def _neural(leaf: RuleNode) -> bool:
    kind = Signal.kind(leaf.type or "")
    return kind is not None and kind.neural


def co_firing(analysis: ProfileAnalysis, frame: pl.DataFrame, findings: list[ConflictFinding],
              min_share: float = 0.01) -> list[ConflictFinding]:
    """Empirical P(A ∧ B), P(A | B) for signal pairs (one at least neural) of decisions that overlap with different actions."""
    n, out, seen = frame.height, [], set()
    for finding in findings:
        if finding.profile != analysis.profile.name or finding.kind not in PAIR_KINDS or not n:
            continue
        first, second = finding.decisions
        for a, b in product(_leaves(analysis, first), _leaves(analysis, second)):
            ka, kb = leaf_key(a), leaf_key(b)
            if not (_neural(a) or _neural(b)):
                continue
            cols = fired_column(ka), fired_column(kb)
            if ka == kb or (ka, kb) in seen or any(c not in frame.columns for c in cols):
                continue
            seen.add((ka, kb))
            fa, fb = frame[cols[0]].fill_null(False), frame[cols[1]].fill_null(False)
            both, hits_b = int((fa & fb).sum()), int(fb.sum())
            if not both:
                continue
            kind = "embedding-co-firing" if "embedding" in (a.type, b.type) else "classifier-co-firing"
            share = both / n
            out.append(ConflictFinding(
                kind, Severity.WARNING if share >= min_share else Severity.INFO, analysis.profile.name,
                [first, second],
                f"{a.type}({a.name}) and {b.type}({b.name}) fire together on {both} of {n} requests "
                f"({share:.1%}); P({a.name} | {b.name}) = {both / hits_b:.2f}", "observed",
                [f"{a.type}:{a.name}", f"{b.type}:{b.name}"], ("and", [("leaf", ka), ("leaf", kb)]),
                share=share, share_ci=wilson(both, n), count=both,
                data={"p_a_given_b": both / hits_b, "p_a_given_b_ci": wilson(both, hits_b)}))
    return out
