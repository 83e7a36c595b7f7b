"""Provider choice: CUDA only when a session really starts there."""

from __future__ import annotations

import onnxruntime as ort

from policies.inference import active_provider
from policies.inference.providers import CPU, CUDA, _cuda_works


def test_provider_is_cuda_only_if_usable():
    chosen = active_provider()
    assert chosen in (CPU, CUDA)
    assert (chosen == CUDA) == _cuda_works()
    if CUDA not in ort.get_available_providers():
        assert chosen == CPU


def test_encoder_reports_its_provider(encoder):
    assert encoder.provider == active_provider()
