"""Shared fixtures: the real bundled models, loaded once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="session")
def encoder():
    from policies.inference import default_encoder

    return default_encoder()


@pytest.fixture(scope="session")
def domain():
    from policies.inference import domain_classifier

    return domain_classifier()


@pytest.fixture(scope="session")
def jailbreak():
    from policies.inference import jailbreak_classifier

    return jailbreak_classifier()
