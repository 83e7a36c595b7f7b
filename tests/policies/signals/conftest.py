"""Fixtures shared by the signal-kind tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def neural_context(tmp_path_factory):
    """The bundled ONNX models behind a fresh score cache (skipped when the model bundle is absent)."""
    inference = pytest.importorskip("policies.inference")
    from policies.simulation.neural import NeuralContext

    try:
        encoder = inference.default_encoder()
    except Exception as exc:  # a missing bundle is an environment fact, not a test failure
        pytest.skip(f"model bundle not available: {exc}")
    return NeuralContext(encoder, cache_dir=tmp_path_factory.mktemp("cache"))
