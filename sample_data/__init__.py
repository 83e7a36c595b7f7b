"""The files shipped with the studio: ONNX models, knowledge bases, sample policies, sample traffic,
precomputed scores.

This package is the one home of their paths. It is installed as package data (every file under
this folder goes into the wheel), so a wheel or ``pip install .`` finds them beside the code, the
same as a source checkout does; nothing is looked up relative to another module's ``__file__``.
``ROUTING_STUDIO_MODELS`` points the models elsewhere (e.g. a user's own build of the bundle).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

MODELS_ENV = "ROUTING_STUDIO_MODELS"


def root() -> Path:
    """This folder, as a real directory (the wheel installs it unzipped in site-packages)."""
    return Path(str(resources.files(__name__)))


def models_dir() -> Path:
    """``$ROUTING_STUDIO_MODELS`` or the shipped ``models/`` (built by ``scripts/build_models.py``)."""
    env = os.environ.get(MODELS_ENV)
    return Path(env) if env else root() / "models"


def policies_dir() -> Path:
    """The sample policies the studio's picker offers."""
    return root() / "policies"


def traffic_dir() -> Path:
    """The sample traffic (built by ``scripts/build_sample_traffic.py``)."""
    return root() / "traffic"


def knowledge_bases_dir() -> Path:
    """The router's built-in knowledge bases (``privacy``, ``mmlu``; Apache-2.0, see ``NOTICE.md`` there)."""
    return root() / "knowledge_bases"


def score_layer_file() -> Path:
    """The bundled models' scores for the sample traffic (built by ``scripts/build_score_layer.py``)."""
    return root() / "scores" / "sample_scores.npz"
