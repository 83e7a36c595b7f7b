"""``routing-studio import recipe.dsl`` and ``export --format dsl`` from the command line."""

from __future__ import annotations

from click.testing import CliRunner

from policies.commands import main
from policies.dsl import loads_dsl
from policies.loader import load_policy

from ..conftest import SAMPLES
from .routing_view import routing_view
from .conftest import RECIPES


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_a_recipe_dsl_writes_its_routing_as_yaml(tmp_path):
    src, out = RECIPES / "privacy" / "recipe.dsl", tmp_path / "privacy.yaml"
    result = run("import", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"imported {src} (dsl)" in result.output and "the DSL holds routing only" in result.output
    imported, compiled = routing_view(load_policy(out)), routing_view(loads_dsl(src.read_text(), str(src)))
    # the 0.4.0 layout has no modelCards[].quality_score (policies/export.py); all else is the DSL's routing
    for card in compiled["modelCards"].values():
        card.pop("quality_score", None)
    assert imported == compiled


def test_export_as_dsl_and_import_it_back(tmp_path):
    src, dsl, back = SAMPLES / "privacy_regulated.yaml", tmp_path / "p.dsl", tmp_path / "p.yaml"
    result = run("export", str(src), "--format", "dsl", "-o", str(dsl))
    assert result.exit_code == 0, result.output
    assert "'providers' is deployment, not routing" in result.output  # reported, never silently left out
    assert dsl.read_text().startswith("ROUTING {")
    assert run("import", str(dsl), "-o", str(back)).exit_code == 0
    assert routing_view(load_policy(back)) == routing_view(load_policy(src))


def test_export_refuses_what_the_dsl_cannot_express_unless_dropped(tmp_path):
    src, out = RECIPES / "agent" / "config.yaml", tmp_path / "agent.dsl"
    refused = run("export", str(src), "--format", "dsl", "-o", str(out))
    assert refused.exit_code == 1 and not out.exists()
    assert f"{src}:929:7: error: not written to the DSL: decision 'local_security_containment': 'adaptations'" \
        in refused.output
    dropped = run("export", str(src), "--format", "dsl", "-o", str(out), "--drop-unsupported")
    assert dropped.exit_code == 0 and out.exists() and "warning: not written to the DSL" in dropped.output


def test_a_broken_dsl_is_refused_with_its_location_and_nothing_written(tmp_path):
    src, out = tmp_path / "bad.dsl", tmp_path / "out.yaml"
    src.write_text('SIGNAL keyword a { keywords: ["x"] }\nROUTE r {\n  WHEN keyword("b")\n  MODEL "m"\n}\n')
    result = run("import", str(src), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert f"{src}:3:8: error: decision 'r' references keyword signal 'b'" in result.output


def test_dsl_in_a_yaml_file_gets_a_hint(tmp_path):
    src = tmp_path / "recipe.yaml"
    src.write_text((RECIPES / "knowledge" / "recipe.dsl").read_text())
    result = run("import", str(src), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 1 and "this looks like the router's DSL" in result.output
    forced = run("import", str(src), "--dialect", "dsl", "-o", str(tmp_path / "out.yaml"))
    assert forced.exit_code == 0, forced.output


def test_a_dsl_exports_as_dsl_but_not_as_a_deployable_config_without_providers(tmp_path):
    src, out = RECIPES / "privacy" / "recipe.dsl", tmp_path / "privacy.dsl"
    result = run("export", str(src), "--format", "dsl", "-o", str(out))
    # the DSL target holds routing only: the missing providers do not stop it
    assert result.exit_code == 0, result.output
    assert routing_view(loads_dsl(out.read_text(), str(out))) == routing_view(loads_dsl(src.read_text(), str(src)))
    refused = run("export", str(src), "--format", "vllm-sr", "-o", str(tmp_path / "privacy.yaml"))
    assert refused.exit_code == 1 and "providers.models is empty" in refused.output


def test_a_dsl_with_base_is_refused_by_name(tmp_path):
    src, out = RECIPES / "privacy" / "recipe.dsl", tmp_path / "merged.yaml"
    result = run("import", str(src), "--base", str(RECIPES / "privacy" / "config.yaml"), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert f"{src}:1:1: error: --base merges a YAML fragment; a DSL file is read whole" in result.output


def test_validate_reads_a_dsl_as_routing_only(tmp_path):
    ok = run("validate", str(RECIPES / "privacy" / "recipe.dsl"))
    # no providers in a DSL: what only they would settle (no models, undeclared models) is moot, as for a fragment
    assert ok.exit_code == 0, ok.output
    assert "valid (dsl;" in ok.output and "providers.models" not in ok.output
    bad = tmp_path / "bad.dsl"
    bad.write_text('SIGNAL keyword a { keywords: ["x"] }\nROUTE r {\n  WHEN keyword("b")\n  MODEL "m"\n}\n')
    result = run("validate", str(bad))
    assert result.exit_code == 1 and f"{bad}:3:8: error: decision 'r' references keyword signal 'b'" in result.output
    based = run("validate", str(RECIPES / "privacy" / "recipe.dsl"), "--base", str(RECIPES / "privacy" / "config.yaml"))
    assert based.exit_code == 1 and "--base merges a YAML fragment" in based.output
