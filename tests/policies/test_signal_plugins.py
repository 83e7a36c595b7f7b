"""A package that is not part of this repository adds a signal kind by being installed.

The test builds a small plugin package (an entry point in ``routing_studio.signal_kinds``), installs
it with pip into a folder of its own, and runs the real ``routing-studio`` CLI and the studio's
builder in processes that see that folder: the kind is validated with the plugin's own check,
simulated with the plugin's extractor, encoded for the solver with the plugin's atom, and edited
with the plugin's declared form. A plugin that fails to import is an error naming it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PLUGIN = '''
"""Negative-sentiment signal: share of the prompt's words found in a word list."""
import re

from policies.errors import Finding, Severity
from policies.model.editor_fields import EditorField
from policies.model.signals import Signal
from policies.simulation.frame import PROMPT
from policies.signals.base import Extractor, LeafExpr


class SentimentSignal(Signal):
    collection = "sentiments"
    leaf_type = "sentiment"
    unit_threshold = True
    threshold_default = 0.5
    summary = "Negative sentiment: share of the prompt's words in a word list."
    editor_fields = (EditorField("words", "lines"), EditorField("threshold", "float"))
    words: list[str] | None = None
    threshold: float | None = None

    def check(self, path):
        if not self.words:
            yield Finding("sentiment-words", Severity.ERROR, f"sentiment '{self.name}' lists no words",
                          path=path + ("words",))

    def solver_atom(self, leaf, solver):
        pool = solver.pool
        score = pool.number(f"sentiment:{self.name}", "real", "score", f"sentiment {self.name}", 3, 0, 1)
        return pool.at_least(score, self.effective_threshold()), [score]


class SentimentExtractor(Extractor):
    leaf_type = "sentiment"

    def raw(self, signal, frame, context):
        import polars as pl
        words = "|".join(re.escape(w.lower()) for w in signal.words or [])
        text = frame[PROMPT].str.to_lowercase()
        hits = text.str.count_matches(rf"\\b(?:{words})\\b").cast(pl.Float64)
        total = text.str.count_matches(r"\\w+").cast(pl.Float64).clip(lower_bound=1.0)
        return {"score": hits / total}

    def leaf(self, signal, node, col):
        return LeafExpr(col("score") >= signal.effective_threshold(), col("score"))
'''

POLICY = """\
version: v0.3
providers:
  defaults: {model: small}
  models:
    - {name: small, backend_refs: [{name: a, endpoint: "127.0.0.1:8000", protocol: http, weight: 1}],
       pricing: {currency: USD, prompt_per_1m: 0.1, completion_per_1m: 0.2}}
    - {name: careful, backend_refs: [{name: b, endpoint: "127.0.0.1:8001", protocol: http, weight: 1}],
       pricing: {currency: USD, prompt_per_1m: 1.0, completion_per_1m: 2.0}}
routing:
  signals:
    sentiments:
      - {name: upset, words: [awful, terrible, angry, broken], threshold: 0.3}
  decisions:
    - name: soothe
      priority: 10
      rules: {type: sentiment, name: upset}
      modelRefs: [{model: careful, use_reasoning: false}]
"""


def _run(args: list[str], env: dict[str, str], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The plugin installed by pip into its own folder, and an environment that puts it on the path."""
    work = tmp_path_factory.mktemp("plugin")
    src = work / "src"
    src.mkdir()
    (src / "rs_sentiment.py").write_text(textwrap.dedent(PLUGIN))
    (src / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "rs-sentiment-plugin"
        version = "0.1"
        [tool.setuptools]
        py-modules = ["rs_sentiment"]
        [project.entry-points."routing_studio.signal_kinds"]
        sentiment = "rs_sentiment"
        """))
    target = work / "site"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "--target", str(target), str(src)], dict(os.environ), work)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]),
               ROUTING_STUDIO_CACHE=str(work / "cache"))
    (work / "policy.yaml").write_text(POLICY)
    (work / "broken.yaml").write_text(POLICY.replace("words: [awful, terrible, angry, broken], ", ""))
    rows = [{"request_id": "r1", "messages": [{"role": "user", "content": "This is awful, terrible and broken!"}]},
            {"request_id": "r2", "messages": [{"role": "user", "content": "What is the capital of France?"}]}]
    (work / "traffic.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return work, env


def _cli() -> str:
    found = shutil.which("routing-studio")
    assert found, "routing-studio is not installed"
    return found


def test_plugin_kind_is_validated_by_its_own_check(installed):
    work, env = installed
    good = _run([_cli(), "validate", "policy.yaml", "--json"], env, work, ok=False)
    findings = json.loads(good.stdout)["files"][0]["findings"]
    assert not [f for f in findings if f["severity"] == "error"], good.stdout
    assert {f["code"] for f in findings} >= {"plugin-signal-kind"}  # vllm-sr 0.4.0 does not know the kind: said
    bad = _run([_cli(), "validate", "broken.yaml", "--json"], env, work, ok=False)
    found = [f for f in json.loads(bad.stdout)["files"][0]["findings"] if f["code"] == "sentiment-words"]
    assert found and found[0]["line"] is not None, bad.stdout
    assert bad.returncode == 1


def test_plugin_kind_is_simulated_by_its_extractor(installed):
    work, env = installed
    done = _run([_cli(), "simulate", "policy.yaml", "--traffic", "traffic.jsonl", "--json", "--out", "out.parquet"],
                env, work)
    assert json.loads(done.stdout)["summary"]["unavailable_signals"] == {}, done.stdout
    script = ("import polars as pl; d = pl.read_parquet('out.parquet').sort('request_id');"
              "print(d['decision'].to_list())")
    decisions = _run([sys.executable, "-c", script], env, work).stdout.strip()
    assert decisions == "['soothe', None]"


def test_plugin_kind_reaches_the_solver_and_the_builder(installed):
    work, env = installed
    script = textwrap.dedent("""\
        import json
        from policies.conflicts.encoding import Encoding
        from policies.loader import load_policy
        from policies.model import RuleNode
        from widgets.signals import editor_for
        policy = load_policy("policy.yaml")
        encoding = Encoding(policy.routing)
        encoding.atom(RuleNode.leaf("sentiment", "upset"))
        roles = sorted({info.role for info in encoding.pool.info.values()})
        editor = editor_for("sentiment")(spec={"name": "upset"})
        editor.set_value("words", "sad\\nangry")
        print(json.dumps({"roles": roles, "spec": editor.spec, "fields": [f.key for f in editor.kind.editor_fields]}))
        """)
    out = json.loads(_run([sys.executable, "-c", script], env, work).stdout)
    assert out["roles"] == ["score"], out  # the plugin's atom, not an opaque 'not modelled' flag
    assert out["spec"] == {"name": "upset", "words": ["sad", "angry"]}
    assert out["fields"] == ["words", "threshold"]


def test_a_plugin_that_fails_to_import_is_an_error_naming_it(installed, tmp_path):
    work, env = installed
    broken = tmp_path / "site"
    shutil.copytree(next(p for p in env["PYTHONPATH"].split(os.pathsep) if p.endswith("site")), broken)
    (broken / "rs_sentiment.py").write_text("raise ImportError('missing dependency: vaderSentiment')\n")
    env = dict(env, PYTHONPATH=str(broken))
    done = _run([_cli(), "validate", "policy.yaml"], env, work, ok=False)
    assert done.returncode != 0
    assert "signal-kind plugin 'sentiment' (rs_sentiment) failed to load" in done.stdout + done.stderr
    assert "vaderSentiment" in done.stdout + done.stderr
