"""Calibrate signal thresholds from production's logged verdicts (issue 17, item 4).

Why: a simulated cost or quality answers production's question only if the simulated signals fire
where production's did. A vLLM SR Router Replay record (``pkg/routerreplay/store/store.go``
``Record``: ``signals.<family>[]``, ``decision``; read by :mod:`policies.traffic.formats.replay`
into ``prior_signals`` / ``prior_decision``) says what production decided; this module moves one
signal's ``threshold`` (a BM25 or n-gram keyword rule's ``bm25_threshold`` / ``ngram_threshold``) so
the simulation agrees with it as often as possible, and reports the agreement before and after with
its confusion counts. Only the top-level routing's signals are fitted (recipes are not).

How (exact, not a grid): the raw scores do not depend on thresholds (:class:`.simulation.extract.RawStore`
caches them without the threshold fields), and a leaf changes its verdict only where the threshold
crosses one of its raw values or its confidence (every built-in kind compares one of those with the
threshold, ``>=`` or ``>``: ``policies/signals/*.py``, each citing the router's rule). So the
candidates are every distinct such value of the labelled requests, a short decimal between each
neighbouring pair, the range's ends (:meth:`Signal.threshold_range`) and the written threshold;
each candidate's verdicts come from the engine's own leaf (:meth:`.simulation.engine.Simulator.extract`,
contests, settings and defaults included), so the best candidate's agreement is the optimum over all
thresholds. Ties keep the written threshold when it is among the best, else go to a short decimal
between two scores (never a score itself, which float32 rounding in the router could flip) nearest
the written threshold. A candidate the kind would read as "unset" (a written 0 under the router's
``WithDefaults``) is skipped, so the threshold written is the one in effect.

What is identifiable:

- **Signal verdicts logged** (some record lists the family in ``signals``): every record with a
  ``signals`` object is a label for every leaf on the signal (``name``, or ``name:level`` for a
  complexity rule as the router names its match, ``pkg/classification``'s complexity dispatch
  ``"%s:%s"`` of rule and difficulty; a family left out is one where nothing fired: the router
  writes it with ``omitempty``). The fit is per signal, other signals untouched.
- **Only the decision logged** (``prior_decision``; null means the default route): a request
  tells about a signal only where changing its verdict changes the simulated decision
  (*informative* requests; the others agree or disagree at every threshold alike). Signals are
  fitted one at a time with the others at their written thresholds (coordinate-wise, not
  jointly), so two signals feeding one decision through an AND are confounded: a disagreement
  may be either's. The decision at a threshold is the decision simulated with the signal's
  verdict pattern at that request (one full simulation per pattern needed, a greedy cover: two
  for a signal with one leaf), so the fit is exact for the engine; the agreements reported
  before and after are measured by full simulations at the written and the fitted threshold.

A threshold is never changed from fewer than ``min_labels`` labelled (signal) or informative
(decision) requests; the count and the minimum are reported.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import polars as pl

from .errors import Finding, PolicyError, Severity
from .model import Decision, Policy, RuleNode
from .model.signals import Signal
from .simulation.engine import Simulator, routing_of
from .simulation.extract import Extraction
from .simulation.leaves import Leaf, referenced_leaves
from .simulation.logged_signals import SIGNALS
from .signals.base import Extractor, raw_column

MIN_LABELS = 30  # below this many labelled (or informative) requests no threshold moves
FIRED, NOT_FIRED = "fired", "not fired"
DEFAULT_ROUTE = "(default)"
_BATCH = 256  # candidate columns evaluated per Polars select


@dataclass(frozen=True)
class Fit:
    """One signal's calibration: agreement (share of labelled requests whose simulated verdict or
    decision equals the logged one) before and after, and the confusion counts
    ``(logged, simulated) -> requests``."""

    signal: str  # "kind:name"
    target: str  # "signal" (its verdicts are logged) or "decision" (only the decision is)
    labelled: int
    informative: int  # labelled requests whose agreement depends on the threshold
    min_labels: int
    old_threshold: float
    new_threshold: float
    before: float
    after: float
    confusion_before: dict[tuple[str, str], int] = field(default_factory=dict)
    confusion_after: dict[tuple[str, str], int] = field(default_factory=dict)
    note: str = ""
    candidates: int = 0  # thresholds swept (each one evaluated by the engine)
    field: str = "threshold"  # the signal's field fitted (keyword BM25 / n-gram: bm25_threshold, ngram_threshold)

    @property
    def changed(self) -> bool:
        return self.new_threshold != self.old_threshold

    def disagreements(self, after: bool = True) -> list[tuple[str, str, int]]:
        """``(logged, simulated, requests)`` where the two differ, most requests first."""
        counts = self.confusion_after if after else self.confusion_before
        return sorted(((a, b, n) for (a, b), n in counts.items() if a != b), key=lambda t: (-t[2], t[0], t[1]))

    def to_dict(self) -> dict[str, Any]:
        def pairs(counts: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
            return [{"logged": a, "simulated": b, "requests": n} for (a, b), n in sorted(counts.items())]
        return {"signal": self.signal, "target": self.target, "labelled": self.labelled,
                "informative": self.informative, "min_labels": self.min_labels,
                "old_threshold": self.old_threshold, "new_threshold": self.new_threshold,
                "changed": self.changed, "agreement_before": self.before, "agreement_after": self.after,
                "confusion_before": pairs(self.confusion_before), "confusion_after": pairs(self.confusion_after),
                "note": self.note, "candidates": self.candidates, "field": self.field}


def calibrate(simulator: Simulator, requests: pl.DataFrame, policy: Policy, signals: Iterable[str] = (),
              min_labels: int = MIN_LABELS) -> list[Fit]:
    """Fit each of ``signals`` ("kind:name"; default: every thresholded signal a top-level decision
    references) to the production verdicts logged in ``requests`` (the traffic ``simulator`` was
    built from, same rows). Raises :class:`PolicyError` naming a signal that cannot be fitted."""
    if requests.height != simulator.frame.height or not requests["request_id"].equals(
            simulator.frame["request_id"], check_names=False):
        raise ValueError("requests are not the rows the simulator was built from")
    wanted = list(signals)
    targets = _targets(policy, wanted)
    return [_fit(simulator, requests, policy, kind, name, leaves, min_labels)
            for (kind, name), leaves in targets.items()]


def with_thresholds(policy: Policy, fits: Iterable[Fit]) -> Policy:
    """A copy of ``policy`` with each changed fit's threshold written (save it with ``dumps_policy``,
    which patches only those lines of the user's file)."""
    variant = policy.copy_policy()
    for fit in fits:
        if fit.changed:
            kind, name = fit.signal.split(":", 1)
            setattr(_declared(variant, kind, name), fit.field, fit.new_threshold)
    return variant


# -- which signals ---------------------------------------------------------------------------------

def _targets(policy: Policy, wanted: list[str]) -> dict[tuple[str, str], list[Leaf]]:
    """(kind, declared name) -> the top-level leaves reading it, for thresholded signals."""
    routing = routing_of(policy, "")
    grouped: dict[tuple[str, str], list[Leaf]] = {}
    for leaf in referenced_leaves(routing):
        declared = routing.find_signal(*leaf.key) if leaf.leaf_type != "projection" else None
        if declared is not None:
            grouped.setdefault((leaf.leaf_type, declared.name), []).append(leaf)
    if not wanted:
        return {key: leaves for key, leaves in grouped.items() if _fittable(policy, *key) is None}
    out = {}
    for text in wanted:
        kind, _, name = text.partition(":")
        declared = routing.find_signal(kind, name) if name else None
        reason = ("give KIND:NAME" if not name else f"no {kind} signal named {name!r} in routing.signals"
                  if declared is None else _fittable(policy, kind, declared.name))
        if reason is None and (kind, declared.name) not in grouped:
            reason = "no top-level decision references it, so no verdict of it reaches a decision"
        if reason:
            raise PolicyError([Finding("calibrate-signal", Severity.ERROR, f"cannot calibrate {text}: {reason}",
                                       file=policy.source_file)])
        out[(kind, declared.name)] = grouped[(kind, declared.name)]
    return out


def _fittable(policy: Policy, kind: str, name: str) -> str | None:
    """Why signal ``kind:name`` has no threshold to fit (None: it has one)."""
    signal = _declared(policy, kind, name)
    if Extractor.for_leaf_type(kind) is None:
        return f"{kind} signals are not computed by the simulation, so a threshold cannot be fitted"
    if _threshold_field(signal) is None:
        return f"{kind} signal '{name}' has no numeric threshold"
    return None


def _threshold_field(signal: Signal) -> str | None:
    """The field holding the signal's one score cut-off: ``threshold``, else the single numeric cut-off
    its extractor reports (:meth:`Extractor.numeric_thresholds`: a BM25 or n-gram keyword's)."""
    extractor = Extractor.for_leaf_type(type(signal).leaf_type)
    cutoffs = extractor.numeric_thresholds(signal) if extractor is not None else {}
    if "threshold" in cutoffs:
        return "threshold"
    fields = [name for name in cutoffs if name in type(signal).model_fields]
    return fields[0] if len(fields) == 1 else None


def _declared(policy: Policy, kind: str, name: str) -> Signal:
    signal = routing_of(policy, "").find_signal(kind, name)
    assert signal is not None, f"{kind}:{name}"
    return signal


@dataclass(frozen=True)
class _Knob:
    """The threshold field the fit moves, on the signal of the fit's own policy copy."""

    signal: Signal
    field: str

    def effective(self) -> float:
        """The cut-off in effect (the kind's default where the written value means "unset")."""
        extractor = Extractor.for_leaf_type(type(self.signal).leaf_type)
        assert extractor is not None
        return extractor.numeric_thresholds(self.signal)[self.field]

    @contextmanager
    def at(self, value: float) -> Iterator[None]:
        """The signal with ``value`` written, restored after."""
        before = getattr(self.signal, self.field)
        setattr(self.signal, self.field, value)
        try:
            yield
        finally:
            setattr(self.signal, self.field, before)


def _as_written(value: float) -> float:
    """A float32 cut-off (keyword kinds report theirs as the router's float32) as the shortest decimal
    that reads as it; any other value unchanged."""
    import numpy as np

    single = np.float32(value)
    return float(np.format_float_positional(single, unique=True)) if float(single) == value else value


# -- labels ----------------------------------------------------------------------------------------

def _signal_labels(requests: pl.DataFrame, kind: str, leaves: list[Leaf]) -> pl.DataFrame | None:
    """Per leaf, production's verdict on every request whose record has a ``signals`` object (null on
    the others); None when no record lists the family.

    The router writes each family with ``omitempty`` (store.go ``Signal``), so a record without the
    family is one where none of its signals fired: a label, not a gap. A log where the family never
    appears says nothing about it (its router may not run the signal) and falls back to decisions."""
    struct = requests.schema.get(SIGNALS)
    families = [f.name for f in struct.fields] if isinstance(struct, pl.Struct) else []
    if kind not in families:
        return None
    listed = pl.col(SIGNALS).struct.field(kind)
    if not requests.select((listed.list.len() > 0).any()).item():
        return None
    recorded = pl.col(SIGNALS).is_not_null()
    return requests.select(pl.when(recorded).then(listed.list.contains(leaf.key[1]).fill_null(False)).alias(str(i))
                           for i, leaf in enumerate(leaves))


def _decision_labels(requests: pl.DataFrame) -> pl.Series | None:
    """Production's decision per request (``DEFAULT_ROUTE`` where it matched none), null where the
    request was not routed by a logging router; None when nothing is logged."""
    if "prior_decision" not in requests.columns:
        return None
    logged = requests["prior_decision"].is_not_null()
    if "prior_selected_model" in requests.columns:
        logged = logged | requests["prior_selected_model"].is_not_null()
    if not logged.any():
        return None
    return requests.select(pl.when(logged).then(pl.col("prior_decision").fill_null(DEFAULT_ROUTE)))[:, 0]


# -- the fit ---------------------------------------------------------------------------------------

def _fit(simulator: Simulator, requests: pl.DataFrame, policy: Policy, kind: str, name: str, leaves: list[Leaf],
         min_labels: int) -> Fit:
    work = policy.copy_policy()
    signal = _declared(work, kind, name)
    field = _threshold_field(signal)
    assert field is not None, f"{kind}:{name}"
    knob = _Knob(signal, field)
    written = _as_written(knob.effective())
    labels = _signal_labels(requests, kind, leaves)
    decisions = None if labels is not None else _decision_labels(requests)
    if labels is None and decisions is None:
        raise PolicyError([Finding("calibrate-labels", Severity.ERROR,
                                   f"cannot calibrate {kind}:{name}: the traffic logs neither production's {kind} "
                                   f"signals (Router Replay signals.{kind}) nor its decisions",
                                   file=policy.source_file)])
    mask = (labels[:, 0].is_not_null() if labels is not None else decisions.is_not_null())  # type: ignore[union-attr]
    candidates, scores = _candidates(simulator, work, knob, leaves, mask, written)
    patterns = _patterns(simulator, work, knob, leaves, mask, candidates)  # (rows, candidates) verdict codes
    if labels is not None:
        truth = _pattern_codes(labels.filter(mask))
        outcomes = patterns
        render = _verdict_names(len(leaves))
    else:
        truth, outcomes, render = _decision_outcomes(simulator, work, knob, decisions.filter(mask), mask,
                                                     candidates, patterns)
    agree = (outcomes == truth[:, None]).sum(axis=0)
    informative = int(((outcomes != outcomes[:, :1]).any(axis=1)).sum())
    at_written = candidates.index(written)
    best = max(range(len(candidates)), key=lambda k: _preference(candidates[k], int(agree[k]), written, scores))
    count = int(mask.sum()) if labels is not None else informative
    note = ""
    if count < min_labels:
        best, note = at_written, f"too few labels: {count} {'labelled' if labels is not None else 'informative'} " \
                                 f"requests, at least {min_labels} needed; threshold kept"
    before, after = _confusion(truth, outcomes[:, at_written], render), _confusion(truth, outcomes[:, best], render)
    n = max(len(truth), 1)
    fit = Fit(f"{kind}:{name}", "signal" if labels is not None else "decision", int(mask.sum()), informative,
              min_labels, written, candidates[best], float(agree[at_written]) / n, float(agree[best]) / n,
              before, after, note, len(candidates), field)
    if labels is None:
        fit = _measured(simulator, work, knob, fit, decisions.filter(mask), mask)  # type: ignore[union-attr]
    return fit


def _candidates(simulator: Simulator, work: Policy, knob: _Knob, leaves: list[Leaf], mask: pl.Series,
                written: float) -> tuple[list[float], set[float]]:
    """Every threshold where a labelled request's verdict can change (the scores), a short decimal inside
    each gap between them, the range's ends and the written threshold (only values the kind reads as
    written), and the scores."""
    signal = knob.signal
    extraction = _extraction(simulator, work, leaves)()
    label = f"{type(signal).leaf_type}:{signal.name}"
    for leaf in leaves:
        reason = extraction.unavailable.get(_leaf_label(leaf)) or extraction.replayed.get(_leaf_label(leaf))
        if reason:
            raise PolicyError([Finding("calibrate-offline", Severity.ERROR, f"cannot calibrate {label}: the "
                                       f"simulation cannot compute it ({reason})", file=work.source_file)])
    prefix = raw_column(type(signal).leaf_type, signal.name, "")
    columns = [c for c in extraction.raw.columns if c.startswith(prefix)]
    frame = extraction.raw.select(
        *(pl.col(c).cast(pl.Float64, strict=False) for c in columns),
        *(extraction.leaves[leaf.key].conf.cast(pl.Float64).alias(f"_conf{i}")  # type: ignore[union-attr]
          for i, leaf in enumerate(leaves) if extraction.leaves[leaf.key].conf is not None)).filter(mask)
    values = {float(v) for c in frame.columns for v in frame[c].drop_nulls().to_list() if math.isfinite(v)}
    bounds = signal.threshold_range()
    if bounds is None:
        bounds = (min(values | {written}) - 1.0, max(values | {written}) + 1.0)
    inside = sorted(v for v in values | set(bounds) if bounds[0] <= v <= bounds[1])
    gaps = [_short_between(a, b) for a, b in zip(inside, inside[1:])]
    out = sorted(set(inside) | set(gaps) | {written})
    kept = []
    for value in out:
        with knob.at(value):
            if value == written or math.isclose(knob.effective(), value, rel_tol=1e-6):
                kept.append(value)
    return kept, values


def _preference(value: float, agreement: int, written: float, scores: set[float]) -> tuple:
    """Best agreement first; among equals the written threshold, then a value between two scores (no
    request sits on it, so float32 rounding in the router cannot flip one), nearest the written one."""
    return agreement, value == written, value not in scores, -abs(value - written), -value


def _leaf_label(leaf: Leaf) -> str:
    """The leaf as :class:`.simulation.extract.Extraction` names it in ``unavailable`` and ``replayed``."""
    return f"{leaf.key[0]}:{leaf.key[1]}"


def _short_between(low: float, high: float) -> float:
    """The shortest decimal strictly between ``low`` and ``high`` (their midpoint when none is short)."""
    mid = (low + high) / 2
    for digits in range(17):
        value = round(mid, digits)
        if low < value < high:
            return value
    return mid


def _extraction(simulator: Simulator, work: Policy, leaves: list[Leaf]) -> Callable[[], Extraction]:
    """The engine's extraction of ``leaves`` alone, as ``work``'s signals read now: the top-level routing
    with one decision over them (signals, contests, projections and global settings as written), so a
    candidate costs its own leaves only."""
    only = Decision(name="calibrate", rules=RuleNode(operator="OR", conditions=[leaf.node for leaf in leaves]))
    trimmed = routing_of(work, "").model_copy(update={"decisions": [only]})  # shares the signals that move
    return lambda: simulator.extract(work, trimmed)


def _patterns(simulator: Simulator, work: Policy, knob: _Knob, leaves: list[Leaf], mask: pl.Series,
              candidates: list[float]) -> Any:
    """A (labelled rows × candidates) array of verdict patterns: bit i set where leaf i fires."""
    import numpy as np

    extraction_now = _extraction(simulator, work, leaves)
    blocks = []
    for start in range(0, len(candidates), _BATCH):
        exprs, raw = [], None
        for k, value in enumerate(candidates[start:start + _BATCH]):
            with knob.at(value):
                extraction = extraction_now()
            raw = extraction.raw if raw is None else raw
            code = sum((extraction.leaves[leaf.key].fired.fill_null(False).cast(pl.Int64) * (1 << i))
                       for i, leaf in enumerate(leaves))
            exprs.append(pl.lit(0, pl.Int64).add(code).alias(f"c{k}"))
        assert raw is not None
        blocks.append(raw.filter(mask).select(exprs).to_numpy())
    return np.hstack(blocks) if blocks else np.zeros((int(mask.sum()), 0), dtype=np.int64)


def _pattern_codes(labels: pl.DataFrame) -> Any:
    return sum(labels[:, i].cast(pl.Int64).to_numpy() * (1 << i) for i in range(labels.width))


def _verdict_names(leaves: int) -> dict[int, str]:
    if leaves == 1:
        return {1: FIRED, 0: NOT_FIRED}
    return {code: ",".join(str(i) for i in range(leaves) if code >> i & 1) or NOT_FIRED for code in range(1 << leaves)}


def _decision_outcomes(simulator: Simulator, work: Policy, knob: _Knob, logged: pl.Series, mask: pl.Series,
                       candidates: list[float], patterns: Any) -> tuple[Any, Any, dict[int, str]]:
    """Logged and simulated decisions as codes, per labelled row and candidate: a request's decision at
    a threshold is the one simulated with its verdict pattern there (a greedy cover of patterns)."""
    import numpy as np

    rows = np.arange(patterns.shape[0])[:, None]
    needed = np.zeros((patterns.shape[0], int(patterns.max(initial=0)) + 1), dtype=bool)
    needed[rows, patterns] = True
    decided = np.full(needed.shape, -1)
    names: list[str] = sorted(set(logged.to_list()))
    while needed.any():
        k = int(needed[rows, patterns].sum(axis=0).argmax())
        with knob.at(candidates[k]):
            simulated = _simulated_decisions(simulator, work, mask)
        for name in set(simulated) - set(names):
            names.append(name)
        column = patterns[:, k]
        fresh = needed[rows[:, 0], column]
        decided[rows[:, 0][fresh], column[fresh]] = [names.index(simulated[r]) for r in np.flatnonzero(fresh)]
        needed[rows[:, 0], column] = False
    truth = np.array([names.index(n) for n in logged.to_list()])
    return truth, decided[rows, patterns], dict(enumerate(names))


def _simulated_decisions(simulator: Simulator, work: Policy, mask: pl.Series) -> list[str]:
    result = simulator.simulate(work)
    return result.requests["decision"].fill_null(DEFAULT_ROUTE).filter(mask).to_list()


def _measured(simulator: Simulator, work: Policy, knob: _Knob, fit: Fit, logged: pl.Series, mask: pl.Series) -> Fit:
    """``fit`` with its agreements and confusions from full simulations at the written and the fitted
    threshold (the fit itself reads the per-pattern decisions)."""
    before = _agreement(simulator, work, knob, fit.old_threshold, logged, mask)
    after = _agreement(simulator, work, knob, fit.new_threshold, logged, mask) if fit.changed else before
    return replace(fit, before=before[0], confusion_before=before[1], after=after[0], confusion_after=after[1])


def _agreement(simulator: Simulator, work: Policy, knob: _Knob, threshold: float, logged: pl.Series,
               mask: pl.Series) -> tuple[float, dict[tuple[str, str], int]]:
    """Share of ``logged`` decisions a full simulation at ``threshold`` reproduces, and the confusion."""
    with knob.at(threshold):
        simulated = _simulated_decisions(simulator, work, mask)
    pairs = Counter(zip(logged.to_list(), simulated))
    return sum(n for (a, b), n in pairs.items() if a == b) / max(len(simulated), 1), dict(pairs)


def _confusion(truth: Any, outcome: Any, render: dict[int, str]) -> dict[tuple[str, str], int]:
    return dict(Counter((render[int(a)], render[int(b)]) for a, b in zip(truth, outcome)))
