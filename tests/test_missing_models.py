"""Missing models are an error naming a missing file, never a success code with the model signals off.

The CLI runs as a real process (``ROUTING_STUDIO_MODELS`` at an empty or partial bundle); the engine
and the studio's widgets run in-process with the model caches cleared around each test, so the
bundle really is looked up again.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import sample_data
from policies.errors import PolicyError
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.traffic import read_traffic

POLICY = sample_data.policies_dir() / "safety_first.yaml"  # domain, jailbreak and PII signals
OTHER = sample_data.policies_dir() / "cost_optimised.yaml"


def _clear_model_caches() -> None:
    """Forget every model and probe loaded in this process, so the next use reads the bundle."""
    from policies import inference
    from policies.inference import providers

    for cached in (inference.default_encoder, inference.registry, inference.pii_name_head,
                   providers.active_provider):
        cached.cache_clear()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 40 requests of the bundled sample."""
    path = tmp_path_factory.mktemp("traffic") / "slice.jsonl"
    with gzip.open(sample_data.traffic_dir() / "sample_requests.jsonl.gz", "rt") as src:
        path.write_text("".join(line for _, line in zip(range(40), src)))
    return path


@pytest.fixture
def empty_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("ROUTING_STUDIO_MODELS", str(folder))
    monkeypatch.setenv("ROUTING_STUDIO_CACHE", str(tmp_path / "cache"))
    _clear_model_caches()
    yield folder
    monkeypatch.undo()
    _clear_model_caches()


def _cli(*args: str | Path, models: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROUTING_STUDIO_MODELS": str(models), "ROUTING_STUDIO_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", "from policies.commands import main; main()", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("command", [
    ("simulate", POLICY, "--traffic", "{traffic}"),
    ("diff", POLICY, OTHER, "--traffic", "{traffic}"),
    ("explain", POLICY, "--text", "Solve x^2 = 4"),
    ("check", POLICY, "--traffic", "{traffic}", "--no-repairs"),
], ids=lambda c: c[0])
def test_cli_without_models_fails_naming_a_missing_file(command: tuple, traffic: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    args = [str(a).replace("{traffic}", str(traffic)) for a in command]
    done = _cli(*args, models=models, cache=tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    # a located error on a bundle file (manifest or model, whichever the command reads first)
    assert re.search(rf"^{re.escape(str(models))}/[\w.]+: error: ", done.stderr, re.M), done.stderr
    assert "unavailable" not in done.stdout + done.stderr


def test_cli_with_one_head_missing_names_that_file(traffic: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for shipped in sample_data.models_dir().iterdir():
        if shipped.name != "domain.onnx":
            (models / shipped.name).symlink_to(shipped)
    done = _cli("simulate", POLICY, "--traffic", traffic, models=models, cache=tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"model file not found: {models / 'domain.onnx'}" in done.stderr
    assert "requests" not in done.stdout  # no summary printed for a run that could not route


def test_simulation_raises_a_located_error(empty_models: Path, traffic: Path) -> None:
    with pytest.raises(PolicyError) as raised:
        Simulator(read_traffic(traffic)).simulate(load_policy(POLICY))
    assert Path(raised.value.findings[0].file).parent == empty_models


def test_studio_tabs_show_the_error(empty_models: Path, traffic: Path) -> None:
    from widgets.explain import RequestExplanation
    from widgets.simulation_dashboard import SimulationDashboard

    policy = load_policy(POLICY)
    dash = SimulationDashboard(policy=policy, traffic=read_traffic(traffic))
    assert dash.run() is False
    assert dash.error.startswith(f"{empty_models}/") and ": error: " in dash.error and dash.result is None
    view = RequestExplanation(policy=policy, prompt="Solve x^2 = 4")
    view.__panel__()
    assert view.explanation is None and not view._body.visible
    assert f"<p>{empty_models}/" in view._head.object and ": error: " in view._head.object
