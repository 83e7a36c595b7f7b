"""One simulator per traffic set, shared by a studio session's Simulation, Compare and Explain tabs.

Each tab loads traffic with its own picker, so the same sample arrives as different
:class:`TrafficSet` objects: they are matched by content (a hash of their rows), and the
simulator built for the first is handed to the others. Signals the Simulation tab extracted are
therefore not extracted again when Compare runs on the same traffic (the simulator's raw store
serialises concurrent extraction, so the second tab waits and reuses). Explain's typed prompts use
the latest simulator's models and memoised embeddings.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from policies.api import ModelsConfig, NeuralContext, Simulator, TrafficSet


def traffic_key(traffic: TrafficSet) -> str:
    """Content hash of a traffic set's requests and candidate outcomes (row order included)."""
    digest = hashlib.sha256()
    for frame in (traffic.requests, traffic.candidate_outcomes):
        digest.update(repr((frame.schema, frame.height)).encode())
        if frame.height:
            digest.update(frame.hash_rows().to_numpy().tobytes())
    return digest.hexdigest()


class Simulators:
    """Simulators by traffic content, the ``limit`` most recently used kept (each holds its traffic's
    scores in memory, so a session keeps few)."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._built: OrderedDict[str, Simulator] = OrderedDict()
        self._lock = threading.Lock()
        self._context: NeuralContext | None = None
        self.models = ModelsConfig()  # the session's own models (the Models tab), none by default

    def use_models(self, models: ModelsConfig) -> None:
        """Simulate with ``models`` from now on: every simulator is rebuilt (their raw scores came
        from the previous models), each on a context running them."""
        with self._lock:
            self.models = models
            self._built.clear()
            self._context = None

    def get(self, traffic: TrafficSet) -> Simulator:
        """The simulator of ``traffic`` (or of a traffic set with the same rows), built on first use."""
        key = traffic_key(traffic)
        with self._lock:
            simulator = self._built.pop(key, None) or Simulator(traffic, context=NeuralContext(models=self.models))
            self._built[key] = simulator
            while len(self._built) > self.limit:
                self._built.popitem(last=False)
            return simulator

    @property
    def context(self) -> NeuralContext:
        """The latest simulator's models and memo (a context of its own before any simulator)."""
        with self._lock:
            if self._built:
                return next(reversed(self._built.values())).context
            if self._context is None:
                self._context = NeuralContext(models=self.models)
            return self._context

