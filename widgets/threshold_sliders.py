"""One slider per thresholded signal; moving one yields a tuned copy of the policy.

Which fields are thresholds is the simulation engine's call (``Extractor.threshold_fields``:
changing them re-uses cached raw scores), so every slider re-evaluates without a model run.
The widget only edits numeric values on a copy (the user's policy is never mutated) and
publishes it as ``tuned``. Ranges follow the validator: embedding cosines in [-1, 1] ([-2, 2]
with negative candidates), unit thresholds in [0, 1]; unbounded scores (BM25) 0 to max(3, 3×value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from policies.api import Extractor, Policy, Signal


@dataclass(frozen=True)
class ThresholdKnob:
    """A tunable threshold: which signal, its current value and the range it may take."""

    collection: str
    name: str
    field: str
    value: float
    low: float
    high: float

    @property
    def key(self) -> str:
        return f"{self.collection}.{self.name}.{self.field}"


def _bounds(signal: Signal, field: str, value: float) -> tuple[float, float]:
    if field == "threshold" and isinstance(signal, Signal.kind("embedding")):
        limit = 2.0 if (signal.negative_candidates or signal.negative_image_candidates) else 1.0
        return -limit, limit
    if field == "threshold" and signal.unit_threshold or field == "ngram_threshold":
        return 0.0, 1.0
    return 0.0, max(3.0, 3 * value)


def threshold_knobs(policy: Policy | None) -> list[ThresholdKnob]:
    """Every numeric threshold field set on a signal of the top-level routing."""
    if policy is None or policy.routing is None:
        return []
    knobs = []
    for collection, signal in policy.routing.all_signals():
        extractor = Extractor.for_leaf_type(type(signal).leaf_type)
        for field in sorted(extractor.threshold_fields) if extractor else []:
            value = getattr(signal, field, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                low, high = _bounds(signal, field, float(value))
                knobs.append(ThresholdKnob(collection, signal.name, field, float(value),
                                           min(low, value), max(high, value)))
    return knobs


def with_thresholds(policy: Policy, values: dict[str, float]) -> Policy:
    """A copy of ``policy`` with the threshold ``values`` (keyed ``collection.name.field``) applied."""
    tuned = policy.copy_policy()
    for collection, signal in tuned.routing.all_signals() if tuned.routing else []:
        for key, value in values.items():
            owner, _, field = key.rpartition(".")
            if owner == f"{collection}.{signal.name}":
                setattr(signal, field, float(value))
    return tuned


class ThresholdSliders(Viewer):
    """Sliders for ``policy``'s thresholds; ``tuned`` is the policy with the slider values applied."""

    policy = param.ClassSelector(class_=Policy, allow_None=True, doc="The policy as written.")
    values = param.Dict(default={}, doc="Slider values keyed 'collection.name'.")
    tuned = param.ClassSelector(class_=Policy, allow_None=True, doc="policy with ``values`` applied.")
    throttled = param.Boolean(default=True, doc="Apply on mouse release only (cheaper for big traffic).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._sliders: dict[str, pn.widgets.FloatSlider] = {}
        self._box = pn.Column(sizing_mode="stretch_width")
        self._reset = pn.widgets.Button(label="Reset to policy", color="light", disabled=True)
        self._reset.on_click(lambda _event: self.reset())
        self.param.watch(self._rebuild, "policy")
        self.param.watch(self._apply, "values")
        self._rebuild()

    def knobs(self) -> list[ThresholdKnob]:
        return threshold_knobs(self.policy)

    def set_value(self, key: str, value: float) -> None:
        """Move one slider (what a user drag does), e.g. ``set_value("complexity.difficulty.threshold", 0.3)``."""
        if key not in self._sliders:
            raise KeyError(f"no threshold slider {key!r}; have {sorted(self._sliders)}")
        self._moved(key, value)

    def moved(self) -> bool:
        """Whether any slider differs from the policy's own value."""
        return self.values != {k.key: k.value for k in self.knobs()}

    def reset(self) -> None:
        self.values = {k.key: k.value for k in self.knobs()}

    def _rebuild(self, *_events: Any) -> None:
        knobs = self.knobs()
        self._sliders = {}
        for knob in knobs:
            step = (knob.high - knob.low) / 200
            slider = pn.widgets.FloatSlider(label=f"{knob.collection} · {knob.name} · {knob.field}", start=knob.low, end=knob.high,
                                            step=step, value=knob.value,
                                            sizing_mode="stretch_width")
            slider.param.watch(lambda event, key=knob.key: self._moved(key, event.new),
                               "value_throttled" if self.throttled else "value")
            self._sliders[knob.key] = slider
        self._box.objects = list(self._sliders.values()) or [
            pn.pane.Markdown("This policy has no thresholded signals.")]
        self.values = {k.key: k.value for k in knobs}

    def _moved(self, key: str, value: float) -> None:
        self.values = {**self.values, key: value}

    def _apply(self, *_events: Any) -> None:
        for key, value in self.values.items():
            if key in self._sliders and self._sliders[key].value != value:
                self._sliders[key].value = value
        self._reset.disabled = not self.moved()
        self.tuned = None if self.policy is None else with_thresholds(self.policy, self.values)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column("#### Thresholds", self._box, self._reset, sizing_mode="stretch_width")
