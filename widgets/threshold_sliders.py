"""One slider per thresholded signal; moving one yields a tuned copy of the policy.

The widget only edits ``threshold`` values on a copy (the user's policy is never mutated) and
publishes it as ``tuned``; re-evaluating traffic against it is the engine's job. Ranges follow
the validator: cosine thresholds of embeddings in [-1, 1] ([-2, 2] with negative candidates),
unit thresholds in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from policies.model import Policy
from policies.model.signals import EmbeddingSignal, Signal


@dataclass(frozen=True)
class ThresholdKnob:
    """A tunable threshold: which signal, its current value and the range it may take."""

    collection: str
    name: str
    value: float
    low: float
    high: float

    @property
    def key(self) -> str:
        return f"{self.collection}.{self.name}"


def _bounds(signal: Signal) -> tuple[float, float]:
    if isinstance(signal, EmbeddingSignal):
        limit = 2.0 if (signal.negative_candidates or signal.negative_image_candidates) else 1.0
        return -limit, limit
    return 0.0, 1.0


def threshold_knobs(policy: Policy | None) -> list[ThresholdKnob]:
    """Every signal of the top-level routing that declares a numeric ``threshold``."""
    if policy is None or policy.routing is None:
        return []
    knobs = []
    for collection, signal in policy.routing.all_signals():
        value = getattr(signal, "threshold", None)
        if isinstance(value, (int, float)) and (signal.unit_threshold or isinstance(signal, EmbeddingSignal)):
            low, high = _bounds(signal)
            knobs.append(ThresholdKnob(collection, signal.name, float(value), min(low, value), max(high, value)))
    return knobs


def with_thresholds(policy: Policy, values: dict[str, float]) -> Policy:
    """A copy of ``policy`` whose signals take the thresholds in ``values`` (keyed ``collection.name``)."""
    tuned = policy.copy_policy()
    for collection, signal in tuned.routing.all_signals() if tuned.routing else []:
        key = f"{collection}.{signal.name}"
        if key in values:
            signal.threshold = float(values[key])
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
        """Move one slider (what a user drag does), e.g. ``set_value("complexity.difficulty", 0.3)``."""
        if key not in self._sliders:
            raise KeyError(f"no threshold slider {key!r}; have {sorted(self._sliders)}")
        self._moved(key, value)

    def reset(self) -> None:
        self.values = {k.key: k.value for k in self.knobs()}

    def _rebuild(self, *_events: Any) -> None:
        knobs = self.knobs()
        self._sliders = {}
        for knob in knobs:
            step = (knob.high - knob.low) / 200
            slider = pn.widgets.FloatSlider(label=f"{knob.collection} · {knob.name}", start=knob.low, end=knob.high,
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
        originals = {k.key: k.value for k in self.knobs()}
        self._reset.disabled = self.values == originals
        self.tuned = None if self.policy is None else with_thresholds(self.policy, self.values)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column("#### Thresholds", self._box, self._reset, sizing_mode="stretch_width")
