"""Router Replay logs whose verdicts follow a known threshold: what the calibration tests fit.

The verdicts and decisions are the simulator's own at complexity threshold :data:`T_STAR` on the
sample policy ``cost_optimised`` (written: 0.1), over prompts of the bundled sample traffic (whose
model scores ship in the score layer, so no encoder runs).
"""

from __future__ import annotations

import difflib
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from policies.columns import fired_column
from policies.loader import load_policy
from policies.model import Policy
from policies.simulation.engine import Simulator
from policies.simulation.sweep import with_signal_field
from policies.traffic import read_traffic

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "sample_data/policies/cost_optimised.yaml"
SIGNAL, LEAF = "complexity:difficulty", ("complexity", "difficulty:hard")
T_STAR = 0.05


def sample_prompts(n: int) -> list[str]:
    """The first ``n`` user prompts (under 2,000 characters) of the bundled sample traffic."""
    out = []
    with gzip.open(ROOT / "sample_data/traffic/sample_requests.jsonl.gz", "rt") as fh:
        for line in fh:
            messages = json.loads(line)["request"]["messages"]
            text = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            if text and len(text) < 2000:
                out.append(text)
            if len(out) == n:
                return out
    raise AssertionError("sample traffic too short")


def changed_lines(a: str, b: str) -> list[str]:
    """The removed and added lines from ``a`` to ``b``."""
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def replay_record(i: int, text: str, decision: str | None, signals: dict | None) -> dict:
    """One Router Replay record (pkg/routerreplay/store/store.go ``Record``)."""
    record = {"id": f"r{i}", "request_id": f"r{i}", "timestamp": "2026-01-10T08:00:00Z", "decision": decision,
              "selected_model": "qwen3-8b", "response_status": 200,
              "request_body": json.dumps({"model": "MoM", "messages": [{"role": "user", "content": text}]})}
    if signals is not None:
        record["signals"] = signals
    return record


@dataclass
class Logged:
    """The policy, the prompts, and the verdicts and decisions the policy gives them at ``threshold``."""

    folder: Path
    policy: Policy
    prompts: list[str]
    hard: list[bool]
    decision: list[str | None]

    def write(self, name: str, signals: bool, decisions: bool = True, labelled: int | None = None) -> Path:
        """A log of every prompt: the complexity verdicts (of the first ``labelled`` when given) and/or decisions."""
        path = self.folder / name
        lines = []
        for i, (text, hard, decision) in enumerate(zip(self.prompts, self.hard, self.decision)):
            known = labelled is None or i < labelled
            # the router leaves a family out where nothing fired (omitempty): a record without
            # ``signals`` at all is the one that says nothing about them
            verdicts = ({"complexity": [LEAF[1]]} if hard else {}) if signals and known else None
            lines.append(json.dumps(replay_record(i, text, decision if decisions else None, verdicts)) + "\n")
        path.write_text("".join(lines))
        return path


def logged_at(folder: Path, n: int = 160, threshold: float = T_STAR) -> Logged:
    """Verdicts and decisions of the first ``n`` sample prompts with the complexity threshold at ``threshold``."""
    prompts = sample_prompts(n)
    folder.mkdir(parents=True, exist_ok=True)
    bare = folder / "bare.jsonl"
    bare.write_text("".join(json.dumps(replay_record(i, p, None, None)) + "\n" for i, p in enumerate(prompts)))
    policy = load_policy(POLICY)
    variant = with_signal_field(policy, "complexity", "difficulty", "threshold", threshold)
    result = Simulator(read_traffic(bare)).simulate(variant)
    return Logged(folder, policy, prompts, result.requests[fired_column(LEAF)].to_list(),
                  result.requests["decision"].to_list())
