"""Every config we export is accepted by vllm-sr 0.4.0's own validation (run in-process)."""

from __future__ import annotations

import pytest

from policies import vllm_sr_check
from policies.export import write_export
from policies.loader import load_policy

from .conftest import CANONICAL_FILES, OTHER_LAYOUTS

pytestmark = pytest.mark.skipif(not vllm_sr_check.available(), reason="vllm-sr==0.4.0 is a test dependency")

EXPORTABLE = CANONICAL_FILES + [OTHER_LAYOUTS["repository"], OTHER_LAYOUTS["legacy"]]


@pytest.mark.parametrize("path", EXPORTABLE, ids=lambda p: p.name)
def test_exported_config_passes_vllm_sr_validation(path, tmp_path):
    out = tmp_path / f"{path.stem}.export.yaml"
    write_export(load_policy(path), out, "vllm-sr")
    assert vllm_sr_check.vllm_sr_errors(out) == []


def test_vllm_sr_check_really_rejects_a_broken_export(tmp_path):
    out = tmp_path / "broken.yaml"
    out.write_text(CANONICAL_FILES[0].read_text().replace("version: v0.3", "version: v0.4"))
    assert vllm_sr_check.vllm_sr_errors(out)
