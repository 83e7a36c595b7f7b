"""Encoder throughput: TextEncoder.encode end to end vs a bare onnxruntime session.

(a) ``TextEncoder.encode`` on N prompts, tokenisation, dedup, length-sorting and padding included;
(b) a bare ``InferenceSession`` on the same model file (onnxruntime's default threading: one
    intra-op thread per core) run on the same prompts tokenised, length-sorted and padded
    beforehand (not timed), in batches of ``--batch-size`` texts. (a) may run differently (on CPU:
    one single-threaded run per core, batches capped in padded tokens); its settings are printed.
(c) ``TextEncoder.encode_with`` the PII name head: the same pass also fetching the layer-4 token
    features and running the head on them (what a simulation with PII signals runs).
Prints sentences/s for each, the ratio a/b (goal >= 0.9) and c/a (what the name head costs).
Prompts are the real ones in shared/data, made unique with realistic prefixes/suffixes when N
exceeds them.

    python benchmarks/bench_encoder.py --n 2000 [--provider cpu|cuda|auto] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PREFIXES = ["", "Quick question: ", "Please help: ", "For my class, ", "Be concise. ", "Context: internal. ",
            "Urgent - ", "Hi! "]
SUFFIXES = ["", " Explain step by step.", " Answer briefly.", " Cite sources if possible.", " Thanks!",
            " Use simple words.", " Give an example.", " Show your reasoning."]


FIXTURES = REPO / "tests" / "policies" / "inference" / "fixtures"


def real_prompts(data_dir: Path) -> list[str]:
    """shared/data's prompts; where shared/ is absent (e.g. a GPU box), the held-out test prompts."""
    texts: list[str] = []
    if (data_dir / "mmlu_pro_domain_exemplars.json").is_file():
        for name in ("mmlu_pro_domain_exemplars.json", "privacy_intent_exemplars.json"):
            labels = json.loads((data_dir / name).read_text())["labels"]
            texts += [t for entry in labels.values() for t in entry["exemplars"]]
    else:
        for name in ("heldout_domain.json", "heldout_jailbreak.json"):
            texts += [row["text"] for row in json.loads((FIXTURES / name).read_text())["rows"]]
    return list(dict.fromkeys(texts))


def workload(data_dir: Path, n: int) -> list[str]:
    """N distinct prompts: every real prompt once, then with prefix/suffix variations."""
    base = real_prompts(data_dir)
    variants = (p + t + s for p, s in itertools.product(PREFIXES, SUFFIXES) for t in base)
    out = list(dict.fromkeys(itertools.islice(variants, n)))
    if len(out) < n:
        raise SystemExit(f"only {len(out)} distinct prompts available (max {len(base) * 64})")
    return out


def bare_batches(encoder, texts: list[str], batch_size: int) -> list[dict]:
    """The bare path's inputs: every prompt tokenised unpadded, sorted by token length, padded per batch."""
    from policies.inference.bundle import TOKENIZER_FILE
    from policies.inference.encoder import load_tokenizer, pad_batch, unpadded_ids

    tokenizer = load_tokenizer(encoder.model_path.parent / TOKENIZER_FILE)
    ids = sorted(unpadded_ids(tokenizer.encode_batch(texts)), key=len)
    return [pad_batch(ids[b:b + batch_size], encoder.pad_id, encoder.input_names) for b in range(0, len(ids), batch_size)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--provider", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of (b), (a) and (c); best of each is kept")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    if args.provider != "auto":
        os.environ["ROUTING_STUDIO_PROVIDER"] = args.provider

    from benchmarks.common import machine
    from policies.inference import TextEncoder, pii_name_head
    from policies.inference.providers import active_provider, create_session

    provider = active_provider()
    if args.provider == "cuda" and not provider.startswith("CUDA"):
        raise SystemExit("--provider cuda requested but no CUDA session can be created here")
    encoder = TextEncoder(provider=provider)
    head = pii_name_head()
    bare = create_session(encoder.model_path, provider)
    batch_size = args.batch_size or encoder.default_batch_size()
    texts = workload(args.data, args.n)
    batches = bare_batches(encoder, texts, batch_size)
    warm = texts[:4 * batch_size]
    encoder.encode(warm, batch_size=batch_size)
    encoder.encode_with(warm, head, batch_size=batch_size)
    for feeds in batches[:4]:
        bare.run(["sentence_embedding"], feeds)

    best_a = best_b = best_c = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for feeds in batches:
            bare.run(["sentence_embedding"], feeds)
        best_b = min(best_b, time.perf_counter() - t0)
        t0 = time.perf_counter()
        encoder.encode(texts, batch_size=batch_size)
        best_a = min(best_a, time.perf_counter() - t0)
        t0 = time.perf_counter()
        encoder.encode_with(texts, head, batch_size=batch_size)
        best_c = min(best_c, time.perf_counter() - t0)

    a, b, c = len(texts) / best_a, len(texts) / best_b, len(texts) / best_c
    print(f"machine: {machine(provider)}")
    source = args.data if (args.data / "mmlu_pro_domain_exemplars.json").is_file() else FIXTURES
    print(f"prompts: {len(texts)} distinct real prompts from {source}, batch size {batch_size}, best of {args.repeats}; "
          f"(a) runs {encoder.workers} batch(es) at once, token budget {encoder.token_budget or 'none'}")
    print(f"(a) TextEncoder.encode end to end : {a:9.1f} sentences/s")
    print(f"(b) bare onnxruntime session      : {b:9.1f} sentences/s  (pre-tokenised, length-sorted)")
    print(f"ratio a/b                         : {a / b:9.3f}")
    print(f"(c) encode_with the PII name head : {c:9.1f} sentences/s")
    print(f"ratio c/a                         : {c / a:9.3f}")


if __name__ == "__main__":
    main()
