"""The notebooks run end to end on a fresh python3 kernel, without cell errors, and show the effect each
one teaches, read from its executed output: quickstart's comparison moves requests, the threshold sweep
moves cost and quality and its pick beats the policy as written, ci_export prints whole command output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
OFFLINE_POLICY = NOTEBOOKS / "policies" / "keyword_tiers.yaml"
CELL_TIMEOUT_S = 600  # the sample traffic's signal extraction on a loaded 2-core machine
NUMBER = r"([-+]?\d+(?:\.\d+)?)"


def _find(pattern: str, text: str) -> tuple[float, ...]:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not printed in:\n{text}"
    return tuple(float(g) for g in match.groups())


def _quickstart(text: str) -> None:
    assert "traffic: 6000 requests, 0 rejected" in text and "Simulated 6,000 requests" in text
    assert "decision=reasoning" in text
    (changed,) = _find(r"(\d+) requests change route", text)
    assert changed > 0
    moves = re.findall(r"^  (\S+) -> (\S+): (\d+) requests", text, flags=re.M)
    assert moves and all(a != b for a, b, _ in moves)
    assert sum(int(n) for *_, n in moves) == changed  # every changed request is in a listed transition
    cost_a, cost_b, quality_a, quality_b = _find(rf"total cost {NUMBER} -> {NUMBER} USD; mean quality {NUMBER} -> {NUMBER}",
                                                 text)
    assert cost_b < cost_a  # leaving gpt-4o is cheaper


def _threshold_tuning(text: str) -> None:
    written, cost_written, quality_written = _find(rf"as written: threshold {NUMBER}, cost \${NUMBER}, quality {NUMBER}",
                                                   text)
    n, low_cost, high_cost, low_quality, high_quality = _find(
        rf"swept (\d+) thresholds in \[[^]]+\]: cost \${NUMBER} to \${NUMBER}, quality {NUMBER} to {NUMBER}", text)
    assert n > 10 and high_cost - low_cost > 0.5 and high_quality - low_quality > 0.01  # the sweep is not flat
    chosen, cost, quality, floor = _find(rf"chosen difficulty threshold: {NUMBER} \(cost \${NUMBER}, quality {NUMBER} >= {NUMBER}\)",
                                         text)
    assert chosen != written and cost < cost_written and quality >= floor
    before, after, q_before, q_after = _find(rf"cost {NUMBER} -> {NUMBER}; quality {NUMBER} -> {NUMBER}", text)
    assert (before, after, q_after) == (cost_written, cost, quality)  # the dashboard shows the sweep's figures
    levels = {float(v) for v in re.findall(r"highest keyword score ([\d.]+)", text)}
    assert len(levels) == 3  # one mention, a shared stem, two mentions: BM25 is stepwise


def _ci_export(text: str) -> None:
    assert "export ok: 4 decisions" in text and "gate blocks the broken policy: exit 1" in text
    for args in (["validate", str(OFFLINE_POLICY)], ["check", str(OFFLINE_POLICY), "--no-repairs"]):
        done = subprocess.run([sys.executable, "-c", "from policies.commands import main; main()", *args],
                              capture_output=True, text=True)
        shown = f"$ routing-studio {' '.join(args)}  -> exit {done.returncode}\n{(done.stdout + done.stderr).rstrip()}\n"
        assert done.returncode == 0 and shown in text  # the whole output, not a tail cut mid-word


# notebook -> the check of its printed output
EFFECTS: dict[str, Callable[[str], None]] = {"quickstart.ipynb": _quickstart,
                                             "threshold_tuning.ipynb": _threshold_tuning,
                                             "ci_export.ipynb": _ci_export}


def _stream_text(book: "nbformat.NotebookNode") -> str:
    return "".join(out.get("text", "") for cell in book.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_notebook_shows_its_effect(name: str) -> None:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for cell in book.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors
    EFFECTS[name](_stream_text(book))


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EFFECTS)
