"""Validation time per config: our validator vs vllm-sr 0.4.0 on the same files.

Run: python benchmarks/bench_validation.py [--decisions 50] [--cli]
Prints per-config times and ratios for configs of N decisions (generated from the example
policies' providers), with our load+validate against vllm-sr's in-process validation (warm,
C YAML loader) and, with --cli, against the `vllm-sr config validate` command itself. The schema
check and the validator on the parsed policy are checked against their limits here (exit 1 when
one is exceeded), not in the tests: a busy machine must not fail CI.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import best_of, machine  # noqa: E402
from policies import vllm_sr_check  # noqa: E402
from policies import Policy  # noqa: E402
from policies.loader import load_policy  # noqa: E402
from policies.validation import validate_policy  # noqa: E402
from policies.validation.schema import schema_issues  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Per 50-decision config, best of several runs (an editor re-validates on every keystroke pause).
SCHEMA_LIMIT_S, VALIDATOR_LIMIT_S = 0.020, 0.100


def generated_config(decisions: int) -> dict:
    """A realistic config of ``decisions`` decisions over keyword/domain/embedding/context signals."""
    base = yaml.safe_load((ROOT / "sample_data/policies/cost_optimised.yaml").read_text())
    domains = ["math", "physics", "chemistry", "law", "history", "economics", "biology"]
    signals = {
        "keywords": [{"name": f"kw{i}", "operator": "OR", "keywords": [f"term{i}a", f"term{i}b"]} for i in range(20)],
        "domains": [{"name": d, "description": d.title(), "mmlu_categories": [d]} for d in domains],
        "embeddings": [{"name": f"emb{i}", "threshold": 0.75, "candidates": [f"topic {i} example"]} for i in range(8)],
        "context": [{"name": "long", "min_tokens": "32K", "max_tokens": "128K"}],
    }
    models = [m["name"] for m in base["providers"]["models"]]
    out = []
    for i in range(decisions):
        conditions = [{"type": "keyword", "name": f"kw{i % 20}"},
                      {"operator": "OR", "conditions": [{"type": "domain", "name": domains[i % 7]},
                                                        {"type": "embedding", "name": f"emb{i % 8}"}]}]
        if i % 3 == 0:
            conditions.append({"operator": "NOT", "conditions": [{"type": "context", "name": "long"}]})
        out.append({"name": f"d{i:03d}", "priority": 1000 - i, "rules": {"operator": "AND", "conditions": conditions},
                    "modelRefs": [{"model": models[i % len(models)], "use_reasoning": False}]})
    base["routing"]["signals"] = signals
    base["routing"]["decisions"] = out
    return base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--cli", action="store_true", help="also time the vllm-sr command line (about 15 s a file)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"generated_{args.decisions}.yaml"
        path.write_text(yaml.safe_dump(generated_config(args.decisions), sort_keys=False))

        def ours() -> list:
            return validate_policy(load_policy(path))

        findings = ours()
        assert not [f for f in findings if f.severity.value == "error"], [f.human() for f in findings][:3]
        t_ours = best_of(ours, 10)
        print(f"config: {args.decisions} decisions, {path.stat().st_size:,} bytes")
        print(f"ours (load + validate):            {t_ours * 1000:8.1f} ms/config")
        within = limits_met(load_policy(path), args.decisions)
        if not vllm_sr_check.available():
            print("vllm-sr==0.4.0 not installed: no comparison")
            return 0 if within else 1
        start = time.perf_counter()
        assert vllm_sr_check.vllm_sr_errors(path) == []
        first = time.perf_counter() - start
        t_vsr = best_of(lambda: vllm_sr_check.vllm_sr_errors(path), 10)
        print(f"vllm-sr in-process, first call:    {first * 1000:8.1f} ms (imports + bundled catalog)")
        print(f"vllm-sr in-process, warm:          {t_vsr * 1000:8.1f} ms/config   ratio {t_vsr / t_ours:6.1f}x")
        if args.cli:
            start = time.perf_counter()
            subprocess.run(["vllm-sr", "config", "validate", "--config", str(path)], check=True,
                           capture_output=True)
            t_cli = time.perf_counter() - start
            print(f"vllm-sr config validate (command): {t_cli * 1000:8.1f} ms/config   ratio {t_cli / t_ours:6.1f}x")
    return 0 if within else 1


def limits_met(policy: Policy, decisions: int) -> bool:
    """Time the schema check and the whole validator on a parsed policy; print each against its limit
    (scaled from 50 decisions) and say whether both were met."""
    schema_issues(policy.to_spec())  # compiles the schema once
    scale = decisions / 50
    within = True
    for label, fn, limit in (("schema check alone:", lambda: schema_issues(policy.to_spec()), SCHEMA_LIMIT_S),
                             ("validator (parsed policy):", lambda: validate_policy(policy), VALIDATOR_LIMIT_S)):
        took = best_of(fn, 10)
        met = took < limit * scale
        within &= met
        print(f"{label:35s}{took * 1000:8.1f} ms/config   limit {limit * scale * 1000:.0f} ms: {'met' if met else 'EXCEEDED'}")
    return within


if __name__ == "__main__":
    raise SystemExit(main())
