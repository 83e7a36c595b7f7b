"""The one result type every detector returns: a probability matrix with its column labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """``probs[i, j]`` is the score of ``labels[j]`` for text ``i`` (float32, in [0, 1])."""

    labels: tuple[str, ...]
    probs: np.ndarray

    def column(self, label: str) -> np.ndarray:
        """Scores of one label for every text."""
        return self.probs[:, self.labels.index(label)]

    def top(self) -> list[str]:
        """The highest-scoring label per text (ties go to the earlier label)."""
        return [self.labels[j] for j in np.argmax(self.probs, axis=1)]
