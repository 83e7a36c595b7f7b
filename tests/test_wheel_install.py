"""A wheel install finds its models and sample data: build the wheel, install it into a fresh venv,
simulate a sample policy from a folder outside the source tree, and get the source tree's answer.

The venv sees the environment's packages (``--system-site-packages``) so nothing is downloaded; the
test checks that ``policies`` and ``sample_data`` are imported from the venv, not from this checkout
(whose editable install is visible there too).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sample_data

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "policies", "widgets", "studio", "sample_data")
REQUESTS = 50


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from a clean copy of the sources (no stale build/ folder)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, src / name, **({"ignore": junk} if (REPO / name).is_dir() else {}))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", src,
         cwd=work)
    (wheel,) = (work / "dist").glob("routing_studio-*.whl")
    env = work / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", env, cwd=work)
    # the environment's pip, run by the venv's interpreter, installs into the venv
    _run(env / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", wheel, cwd=work)
    return env


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the source tree holding a copied sample policy and a slice of the sample traffic."""
    folder = tmp_path_factory.mktemp("user")
    shutil.copy2(sample_data.policies_dir() / "safety_first.yaml", folder / "policy.yaml")
    with gzip.open(sample_data.traffic_dir() / "sample_requests.jsonl.gz", "rt") as src:
        (folder / "traffic.jsonl").write_text("".join(line for _, line in zip(range(REQUESTS), src)))
    return folder


def _env(cache: Path) -> dict[str, str]:
    """This process's environment without anything that points at the checkout, with an empty cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ROUTING_STUDIO_MODELS")}
    return {**env, "ROUTING_STUDIO_CACHE": str(cache)}


def test_the_installed_package_and_its_data_come_from_the_venv(venv: Path, outside: Path) -> None:
    probe = ("import json, policies, sample_data; "
             "print(json.dumps([policies.__file__, str(sample_data.models_dir()), str(sample_data.traffic_dir())]))")
    code, models, traffic = json.loads(_run(venv / "bin" / "python", "-c", probe, cwd=outside,
                                            env=_env(outside / "cache")).stdout)
    site = next((venv / "lib").glob("python3*/site-packages"))
    assert Path(code).is_relative_to(site), code
    assert Path(models) == site / "sample_data" / "models" and Path(traffic) == site / "sample_data" / "traffic"
    shipped = {p.relative_to(sample_data.root()) for p in sample_data.root().rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    installed = {p.relative_to(site / "sample_data") for p in (site / "sample_data").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= installed, sorted(map(str, shipped - installed))  # every shipped file, scores included


def test_simulate_from_the_wheel_matches_the_source_tree(venv: Path, outside: Path) -> None:
    args = ("simulate", "policy.yaml", "--traffic", "traffic.jsonl", "--json")
    installed = _run(venv / "bin" / "routing-studio", *args, cwd=outside, env=_env(outside / "wheel-cache"))
    for text in (installed.stdout, installed.stderr):
        assert "cannot be loaded" not in text and "not found" not in text
    result = json.loads(installed.stdout)
    assert result["summary"]["requests"] == REQUESTS
    assert result["summary"]["unavailable_signals"] == {}  # every model signal ran
    assert sum(row["hits"] for row in result["per_decision"]) == REQUESTS
    source = _run(sys.executable, "-c", "from policies.commands import main; main()", *args, cwd=outside,
                  env={**_env(outside / "source-cache"), "PYTHONPATH": str(REPO)})
    expected = json.loads(source.stdout)
    for run in (result, expected):
        del run["summary"]["seconds"]  # wall-clock time of the run, the one field that may differ
    assert result == expected
