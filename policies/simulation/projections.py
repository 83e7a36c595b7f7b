"""Projections as expressions: partitions, weighted scores and threshold-band mappings (spec §5).

*Partitions* make member signals (domain or embedding) mutually exclusive: among members that
fired on their own, the one with the highest raw score wins; ``softmax_exclusive`` reports the
softmax (at ``temperature``, default 1) of the winner's score over all members as confidence,
``exclusive`` keeps the member's own confidence. When no member fires, ``default`` fires (its
softmax share as confidence). The partition's verdict replaces each member's leaf, which is how
the router sees them. *Scores* sum ``weight × value`` over inputs, each read as
:class:`policies.model.projections.InputReading` says (the router's ``projectionInputValue``; the
solver reads them the same way); an input of type ``projection`` is another score (its ``value_source: confidence`` form, a
mapping output's confidence, is not simulated: the scores that read it are unavailable). *Mappings* fire each output whose ``gt/gte/lt/lte`` band holds
the source score; with ``calibration: {method: sigmoid_distance, slope}`` the confidence is the
sigmoid of slope × distance to the nearest band edge, otherwise outputs are crisp.
A ``kb_metric`` input (``{kb, metric}``) reads the metric's value, whatever its ``value_source``
(the router's ``projectionInputValue``, ``src/semantic-router/pkg/classification/
classifier_projection_inputs.go``): the ``("kb_metric", "<kb>:<metric>")`` leaf's ``conf``
(:class:`policies.signals.kb.KbMetricExtractor`). A metric that cannot be computed makes the scores
unavailable rather than silently 0.
"""

from __future__ import annotations

from typing import Callable

import polars as pl

from ..columns import SEP, confidence_column, fired_column
from ..evaluate import LeafKey
from ..model.projections import InputReading, Partition, ProjectionMapping, Projections
from ..signals.base import LeafExpr, Unavailable
from ..signals.kb import metric_name

LeafLookup = Callable[[LeafKey], LeafExpr]
ScoreLookup = Callable[[str, str], pl.Expr]  # (leaf type, signal name) -> raw score expression


def internal_column(*parts: str) -> str:
    """Name of a projection's intermediate column (dropped from the simulated table)."""
    return SEP.join(("_proj",) + parts)


def apply_partitions(partitions: list[Partition], member_type: Callable[[str], str | None],
                     leaves: dict[LeafKey, LeafExpr], score: ScoreLookup
                     ) -> tuple[dict[LeafKey, LeafExpr], list[list[pl.Expr]]]:
    """Replace member leaves with the partition's exclusive verdict.

    Returns the new leaf map and three stages of internal columns: per partition the best fired
    score, the top score and whether any member fired; then the winner's index and the softmax
    denominator; then each member's verdict, which the member leaves read by name. Each stage is
    linear in the members. Inlined instead, every verdict carried the winner, the winner every
    best score, and a running "taken" flag doubled per member: the router's balance recipe (16
    members) did not fit a plan in 24 GB."""
    out = dict(leaves)
    stages: list[list[pl.Expr]] = [[], [], []]
    for part in partitions:
        members = [m for m in part.members or [] if member_type(m)]
        if not members:
            continue
        column = lambda name: internal_column("partition", part.name, name)  # noqa: E731
        best, top, any_fired, winner, total = (pl.col(column(n)) for n in ("best", "top", "any", "winner", "total"))
        keys = [(str(member_type(m)), m) for m in members]
        scores = [score(k[0], k[1]).fill_null(float("-inf")) for k in keys]
        fired = [leaves[k].fired if k in leaves else pl.lit(False) for k in keys]
        temperature = part.temperature or 1.0
        exp = [((s - top) / temperature).exp() for s in scores]
        stages[0] += [pl.max_horizontal([pl.when(f).then(s) for f, s in zip(fired, scores)]).alias(column("best")),
                      pl.max_horizontal(scores).alias(column("top")),
                      pl.any_horizontal(fired).alias(column("any"))]
        # winner: the first member (in declared order) holding the best score among those that fired
        chain = pl.when(fired[0] & (scores[0] == best)).then(pl.lit(0, dtype=pl.UInt32))
        for i in range(1, len(members)):
            chain = chain.when(fired[i] & (scores[i] == best)).then(pl.lit(i, dtype=pl.UInt32))
        stages[1] += [chain.otherwise(pl.lit(None, dtype=pl.UInt32)).alias(column("winner")),
                      pl.sum_horizontal(exp).alias(column("total"))]
        for i, (key, member) in enumerate(zip(keys, members)):
            wins = (winner == i).fill_null(False)
            own = leaves[key].conf if key in leaves and leaves[key].conf is not None else pl.lit(1.0)
            conf = (exp[i] / total) if part.semantics == "softmax_exclusive" else own
            is_default = member == part.default
            final = wins | (~any_fired & pl.lit(is_default))
            default_conf = exp[i] / total
            fired_name, conf_name = internal_column(fired_column(key)), internal_column(confidence_column(key))
            stages[2] += [final.alias(fired_name),
                          pl.when(wins).then(conf).when(final).then(default_conf).cast(pl.Float64).alias(conf_name)]
            out[key] = LeafExpr(pl.col(fired_name), pl.col(conf_name))
    return out, stages


def _band(value: pl.Expr, output: dict) -> tuple[pl.Expr, pl.Expr]:
    """(inside band, signed distance to the nearest edge: positive inside)."""
    inside, distances = [], []
    for op, test in (("gt", value.__gt__), ("gte", value.__ge__)):
        if output.get(op) is not None:
            inside.append(test(float(output[op])))
            distances.append(value - float(output[op]))
    for op, test in (("lt", value.__lt__), ("lte", value.__le__)):
        if output.get(op) is not None:
            inside.append(test(float(output[op])))
            distances.append(float(output[op]) - value)
    if not inside:
        return pl.lit(True), pl.lit(float("inf"))
    return pl.all_horizontal(inside), pl.min_horizontal(distances)


def _input_value(item: dict, kind: str, ref: str, leaves: dict[LeafKey, LeafExpr], score: ScoreLookup) -> pl.Expr:
    """One signal input's value (:class:`policies.model.projections.InputReading`)."""
    reading = InputReading.of(item)
    leaf = leaves.get((kind, ref))
    fired = leaf.fired if leaf else pl.lit(False)
    if reading.source == "raw":
        return score(kind, ref).fill_null(0.0)
    if reading.source == "confidence":
        conf = leaf.conf if leaf and leaf.conf is not None else pl.lit(1.0)
        return pl.when(fired).then(pl.when(conf > 0).then(conf).otherwise(1.0)).otherwise(0.0)
    return pl.when(fired).then(reading.match).otherwise(reading.miss)


def score_exprs(projections: Projections, leaves: dict[LeafKey, LeafExpr], score: ScoreLookup) -> dict[str, pl.Expr]:
    """Every weighted-sum score as an expression (inputs that are scores resolve recursively)."""
    specs = {s.name: s for s in projections.scores or []}
    done: dict[str, pl.Expr] = {}

    def build(name: str, stack: tuple[str, ...]) -> pl.Expr:
        if name in done:
            return done[name]
        if name in stack:
            raise Unavailable(f"projection score cycle through {name!r}")
        terms = []
        for item in specs[name].inputs or []:
            kind, ref = str(item.get("type")), str(item.get("name"))
            weight = float(item.get("weight", 1.0))
            if kind == "kb_metric":
                metric = leaves.get((kind, metric_name(item)))
                if metric is None or metric.conf is None:
                    raise Unavailable(f"kb_metric {metric_name(item)} is unavailable")
                terms.append(weight * metric.conf)
                continue
            if kind == "projection":
                if str(item.get("value_source") or "").strip().lower() == "confidence":
                    raise Unavailable(f"input {ref!r} reads a projection output's confidence, which is not simulated")
                terms.append(weight * build(ref, stack + (name,)))
                continue
            terms.append(weight * _input_value(item, kind, ref, leaves, score))
        done[name] = pl.sum_horizontal(terms) if terms else pl.lit(0.0)
        return done[name]

    return {name: build(name, ()) for name in specs}


def mapping_leaves(mappings: list[ProjectionMapping], scores: dict[str, pl.Expr]) -> dict[LeafKey, LeafExpr]:
    """``("projection", output)`` leaves of every mapping whose source score exists."""
    out: dict[LeafKey, LeafExpr] = {}
    for mapping in mappings:
        if mapping.source not in scores:
            continue
        value = scores[str(mapping.source)]
        calibration = mapping.calibration or {}
        for output in mapping.outputs or []:
            inside, distance = _band(value, output)
            conf = None
            if calibration.get("method") == "sigmoid_distance":
                slope = float(calibration.get("slope", 1.0))
                conf = 1.0 / (1.0 + (-slope * distance).exp())
            out[("projection", str(output.get("name")))] = LeafExpr(inside.fill_null(False), conf)
    return out
