"""Level 2 (spec §4): embedding thresholds as spherical caps, decided by geometry.

A single-candidate signal fires on the cap {x : cos(x, c) ≥ t}. Two caps intersect iff
angle(c₁, c₂) < arccos t₁ + arccos t₂; the margin m = arccos t₁ + arccos t₂ − angle (radians) says
how robust the overlap is. ``max``/``any`` aggregation is a union of caps (every candidate pair is
tested); ``mean`` is one cap around the mean direction with threshold t/‖c̄‖ (above 1 the signal
can never fire). Negative candidates, thresholds ≤ 0 and prototype scoring fall back to level 3.
Caps proved disjoint become background lemmas for the solver.

Embeddings come from the encoder the simulation uses (``policies.inference.default_encoder``, the
default; a warning says when its model files are missing); anything with
``encode(list[str]) -> [N, d]`` L2-normalised rows works.
"""

from __future__ import annotations

import functools
import math
import warnings
import weakref
from dataclasses import dataclass
from itertools import combinations, product
from typing import Protocol

import numpy as np
import z3

from ..model import RuleNode, Routing
from ..signals.embedding import EmbeddingSignal
from .encoding import Encoding


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


DEFAULT_ENCODER = "default"  # AnalysisOptions.encoder: the simulation's bundled encoder when it can be loaded


@functools.lru_cache(maxsize=1)
def default_encoder() -> Encoder | None:
    """The simulation's ONNX text encoder (``policies.inference``), or None with a warning saying why not."""
    try:
        from ..inference import default_encoder as make
        return make()
    except Exception as exc:  # ImportError, a missing or unreadable model file: geometry is optional, say so once
        warnings.warn(f"embedding geometry skipped: the bundled text encoder could not be loaded ({exc}); embedding "
                      "overlaps stay 'possible'. Build the models with `python scripts/build_models.py` or point "
                      "ROUTING_STUDIO_MODELS at a copy.", RuntimeWarning, stacklevel=2)
        return None


def resolve_encoder(encoder: Encoder | str | None) -> Encoder | None:
    return default_encoder() if encoder == DEFAULT_ENCODER else encoder  # type: ignore[return-value]


# candidate phrase -> unit vector per encoder: re-checks after an edit only encode new candidates
_VECTORS: "weakref.WeakKeyDictionary[object, dict[str, np.ndarray]]" = weakref.WeakKeyDictionary()


def embed(encoder: Encoder, texts: list[str]) -> dict[str, np.ndarray]:
    known = _VECTORS.setdefault(encoder, {})
    new = [t for t in texts if t not in known]
    if new:
        known.update(zip(new, np.asarray(encoder.encode(new), dtype=np.float64)))
    return {t: known[t] for t in texts}


@dataclass(frozen=True)
class Cap:
    centre: np.ndarray
    threshold: float
    phrase: str  # the candidate (or "mean of …") the cap is built from

    @property
    def radius(self) -> float:
        return math.acos(max(-1.0, min(1.0, self.threshold)))


@dataclass
class CapPair:
    """The closest-to-overlapping caps of two signals."""

    a: str
    b: str
    angle: float
    margin: float  # > 0: the caps intersect
    phrase_a: str
    phrase_b: str
    witness: np.ndarray
    nearest_phrase: str  # candidate phrase nearest to the witness direction

    @property
    def intersects(self) -> bool:
        return self.margin > 0


def separating_threshold(keep: Cap, move: Cap) -> float:
    """The threshold ``move`` must exceed for its cap to miss ``keep``: cos(angle − arccos t_keep) (1 = impossible)."""
    angle = math.acos(float(np.clip(np.dot(keep.centre, move.centre), -1.0, 1.0)))
    return math.cos(max(0.0, angle - keep.radius))


def caps_of(signal: EmbeddingSignal, vectors: dict[str, np.ndarray]) -> list[Cap] | None:
    """The signal's firing region as caps; [] = never fires; None = not decidable at level 2."""
    t = signal.effective_threshold()
    candidates = [c for c in signal.candidates or [] if c in vectors]
    prototypes = bool((signal.prototype_scoring or {}).get("enabled"))
    if (signal.negative_candidates or signal.negative_image_candidates or t <= 0 or prototypes or not candidates
            or signal.image_candidates):
        return None
    if (signal.aggregation_method or "max") == "mean":
        mean = np.mean([vectors[c] for c in candidates], axis=0)
        norm = float(np.linalg.norm(mean))
        if norm == 0 or t / norm > 1:
            return []
        return [Cap(mean / norm, t / norm, "mean of " + "; ".join(candidates))]
    return [Cap(vectors[c], t, c) for c in candidates]


def _margin(a: Cap, b: Cap) -> tuple[float, float]:
    """(angle between the centres, overlap margin: positive when the caps intersect)."""
    angle = math.acos(float(np.clip(np.dot(a.centre, b.centre), -1.0, 1.0)))
    return angle, a.radius + b.radius - angle


def _pair(a: Cap, b: Cap, phrases: dict[str, np.ndarray]) -> tuple[float, float, np.ndarray, str]:
    angle, margin = _margin(a, b)
    theta = min(max((angle + a.radius - b.radius) / 2, 0.0), angle)
    if angle < 1e-9:
        witness = a.centre
    else:
        witness = (math.sin(angle - theta) * a.centre + math.sin(theta) * b.centre) / math.sin(angle)
    nearest = max(phrases, key=lambda p: float(np.dot(phrases[p], witness))) if phrases else ""
    return angle, margin, witness, nearest


@dataclass
class Geometry:
    """Cap tests for every pair of embedding signals of one profile."""

    pairs: list[CapPair]
    caps: dict[str, list[Cap]]
    undecided: list[str]  # signals left to level 3
    dead: list[str]  # mean aggregation with t/‖c̄‖ > 1
    encoder: Encoder

    def raised_threshold(self, routing: Routing, keep: str, move: str) -> float | None:
        """The smallest 3-decimal threshold for ``move`` strictly past the point where every one of its caps misses
        every cap of ``keep`` (None when that would exceed 1). Mean aggregation scales cap thresholds by 1/‖c̄‖."""
        signal = routing.find_signal("embedding", move)
        current = signal.effective_threshold()
        scale = current / self.caps[move][0].threshold
        need = max(separating_threshold(k, m) for k, m in product(self.caps[keep], self.caps[move])) * scale
        raised = math.floor(need * 1000 + 1) / 1000
        return raised if raised / scale < 1 and raised > current else None

    def pair(self, a: str, b: str) -> CapPair | None:
        return next((p for p in self.pairs if {p.a, p.b} == {a, b}), None)


def analyse_geometry(routing: Routing, encoder: Encoder) -> Geometry:
    signals = [s for s in (routing.signals.embeddings if routing.signals else None) or []]
    vectors = embed(encoder, sorted({c for s in signals for c in s.candidates or []}))
    caps, undecided, dead = {}, [], []
    for s in signals:
        found = caps_of(s, vectors)
        if found is None:
            undecided.append(s.name)
        elif not found:
            dead.append(s.name)
        else:
            caps[s.name] = found
    pairs = []
    for a, b in combinations(sorted(caps), 2):
        # the first pair of caps with the widest margin; its witness and nearest phrase (a scan of
        # every phrase) only for that pair, not for each of the candidates' product
        ca, cb = max(product(caps[a], caps[b]), key=lambda caps_ab: _margin(*caps_ab)[1])
        angle, margin, witness, nearest = _pair(ca, cb, vectors)
        pairs.append(CapPair(a, b, angle, margin, ca.phrase, cb.phrase, witness, nearest))
    return Geometry(pairs, caps, undecided, dead, encoder)


def add_lemmas(encoding: Encoding, geometry: Geometry) -> int:
    """Background lemmas: ¬(s_A ≥ t_A ∧ s_B ≥ t_B) for disjoint caps, ¬(s ≥ t) for dead signals."""
    added = 0
    atom = {name: encoding.atom(RuleNode.leaf("embedding", name)) for name in list(geometry.caps) + geometry.dead}
    for pair in geometry.pairs:
        if not pair.intersects:
            encoding.add_lemma(z3.Not(z3.And(atom[pair.a], atom[pair.b])))
            added += 1
    for name in geometry.dead:
        encoding.add_lemma(z3.Not(atom[name]))
        added += 1
    return added


def geometry_findings(analysis, geometry: Geometry) -> list:
    """Embedding co-firing (warning, proved by the cap test) for signals of decisions that route differently."""
    from ..errors import Severity
    from .findings import ConflictFinding

    users: dict[str, set[int]] = {}
    for k, d in enumerate(analysis.order):
        for _, leaf in (d.rules.leaves() if d.rules else []):
            if leaf.type == "embedding":
                users.setdefault(str(leaf.name), set()).add(k)
    out = []
    for pair in geometry.pairs:
        pairs = [(i, j) for i in users.get(pair.a, ()) for j in users.get(pair.b, ())
                 if i != j and analysis.actions[i] != analysis.actions[j]]
        if not pair.intersects or not pairs:
            continue
        i, j = min(pairs)
        names = sorted({analysis.names[i], analysis.names[j]}, key=analysis.names.index)
        out.append(ConflictFinding(
            "embedding-co-firing", Severity.WARNING, analysis.profile.name, names,
            f"embedding caps '{pair.a}' ({pair.phrase_a!r}) and '{pair.b}' ({pair.phrase_b!r}) intersect with margin "
            f"{pair.margin:.3f} rad: a request near {pair.nearest_phrase!r} fires both", "proved",
            [f"embedding:{pair.a}", f"embedding:{pair.b}"],
            ("and", [("leaf", ("embedding", pair.a)), ("leaf", ("embedding", pair.b))]),
            data={"margin": pair.margin, "angle": pair.angle, "nearest_phrase": pair.nearest_phrase}))
    return out
