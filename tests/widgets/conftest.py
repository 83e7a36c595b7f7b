"""Fixtures for widget tests: a session state opened on a sample policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from widgets.state import PolicyState

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "policies"


@pytest.fixture
def cost_text() -> str:
    return (SAMPLES / "cost_optimised.yaml").read_text()


@pytest.fixture
def state(cost_text: str) -> PolicyState:
    """A state with the cost-optimised sample open."""
    s = PolicyState()
    assert s.open_text(cost_text, "cost_optimised")
    return s
