"""Build the read-only score layer: the bundled models' scores for the bundled sample traffic.

The first simulation of the sample on a fresh install then runs no model and no PII pattern pass
(see :class:`policies.inference.cache.ScoreLayer`). The layer is exactly what the runtime writes
into a user's score cache when it simulates every bundled policy on the sample (safety_first
first, then the others by name), plus the embeddings of the built-in knowledge bases' exemplars
(what the first ``kb`` signal on them writes), with the layer switched off and on the CPU provider:
the same keys (text sha256, model or pattern-code sha256, signal definition), the same float32 vectors.
A rebuilt model or an edited ``policies/inference/pii.py`` has another sha, so its scores are
simply not found in an old layer; ``make models`` rebuilds the layer after the models.

Run: ``python scripts/build_score_layer.py`` (about two minutes on two cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["ROUTING_STUDIO_SCORE_LAYER"] = "off"  # compute every score afresh, never read an old layer
os.environ.setdefault("ROUTING_STUDIO_PROVIDER", "cpu")  # builds must not depend on a GPU
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sample_data  # noqa: E402
from policies.inference.cache import ScoreCache, ScoreLayer  # noqa: E402
from policies.knowledge_bases import KnowledgeBaseCatalog  # noqa: E402
from policies.loader import load_policy  # noqa: E402
from policies.simulation import Simulator  # noqa: E402
from policies.simulation.neural import NeuralContext  # noqa: E402
from policies.signals.base import Extractor  # noqa: E402
from policies.traffic import sample_traffic  # noqa: E402

FIRST = "safety_first.yaml"  # the policy the first-simulation benchmark runs computes the shared texts
MAX_BYTES = 30 * 2**20


def policy_files() -> list[Path]:
    files = sorted(sample_data.policies_dir().glob("*.yaml"))
    return sorted(files, key=lambda p: p.name != FIRST)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=sample_data.score_layer_file())
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for path in policy_files():
            # a fresh context per policy, as a fresh process has: each computes what the cache lacks
            result = Simulator(sample_traffic(), context=NeuralContext(cache_dir=tmp)).simulate(load_policy(path))
            missing = {leaf: why for leaf, why in result.extraction.unavailable.items()
                       if getattr(Extractor.for_leaf_type(leaf.split(":")[0]), "neural", False)}
            if missing:
                sys.exit(f"{path.name}: model signals unavailable, the layer would lack their scores: {missing}")
            print(f"{path.name}: {time.perf_counter() - started:.0f}s", flush=True)
        catalog = KnowledgeBaseCatalog()
        NeuralContext(cache_dir=tmp).embed([text for name in catalog.names()
                                            for texts in catalog.get(name).labels.values() for text in texts])
        print(f"knowledge bases {', '.join(catalog.names())}: {time.perf_counter() - started:.0f}s", flush=True)
        groups = list(ScoreCache(tmp).groups())
    ScoreLayer.write(args.out, groups)
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {len(groups)} groups, {sum(len(shas) for _, shas, _ in groups):,} vectors, "
          f"{size / 2**20:.1f} MiB in {time.perf_counter() - started:.0f}s")
    if size > MAX_BYTES:
        sys.exit(f"{args.out} is {size / 2**20:.1f} MiB, over the {MAX_BYTES / 2**20:.0f} MiB the package allows")


if __name__ == "__main__":
    main()
