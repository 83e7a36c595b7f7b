"""The notebooks run end to end on a fresh python3 kernel, without cell errors, printing what they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 600  # the sample traffic's signal extraction on a loaded 2-core machine

# notebook -> texts its printed output must contain
EXPECTED = {
    "quickstart.ipynb": ["traffic: 6000 requests, 0 rejected", "Simulated 6,000 requests",
                         "decision=reasoning", "requests change route"],
    "threshold_tuning.ipynb": ["as written: cost $", "chosen bm25_threshold: ", "cost "],
    "ci_export.ipynb": ["validate", "-> exit 0", "export ok: 4 decisions", "gate blocks the broken policy: exit 1"],
}


def _stream_text(book: "nbformat.NotebookNode") -> str:
    return "\n".join(out.get("text", "") for cell in book.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name: str) -> None:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for cell in book.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors
    text = _stream_text(book)
    for expected in EXPECTED[name]:
        assert expected in text, f"{name}: {expected!r} not printed"


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)
