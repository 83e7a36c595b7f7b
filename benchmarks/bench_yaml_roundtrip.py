"""What keeping the user's file costs an edit: ``policies.loader.revise`` against ``dump_yaml``.

Run: python benchmarks/bench_yaml_roundtrip.py [--repeat 5]
One builder edit (the first decision's priority) on each sample policy and each upstream recipe:
the old way of writing it (the canonical dump of the whole spec, comments lost) is the anchor,
printed beside the round trip (ruamel.yaml patch, carried onto the file's lines, read back), with
loading the file for scale. Best of ``repeat`` runs, CPU-bound, in one process.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import best_of, machine  # noqa: E402
from policies.loader import loads_policy, revise  # noqa: E402
from policies.yaml_source import dump_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "sample_data" / "policies").glob("*.yaml")) + sorted(
    (ROOT.parent / "shared" / "data" / "vllm-sr-upstream" / "recipes").glob("*/config.yaml"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    print(f"{'file':<24}{'lines':>6}{'load':>9}{'dump_yaml':>11}{'revise':>9}{'revise/dump':>13}{'revise/load':>13}")
    for path in FILES:
        text = path.read_text()
        before = loads_policy(text, path.name).to_spec()
        after = copy.deepcopy(before)
        after["routing"]["decisions"][0]["priority"] ^= 1
        revision = revise(text, before, after, path.name)
        assert revision.rewritten is None, revision.rewritten  # a figure for the patch, not the fallback
        load = best_of(lambda: loads_policy(text, path.name), repeat)
        dump = best_of(lambda: dump_yaml(after), repeat)
        patch = best_of(lambda: revise(text, before, after, path.name), repeat)
        name = path.parent.name if path.name == "config.yaml" else path.stem
        print(f"{name:<24}{len(text.splitlines()):>6}{load * 1e3:>7.1f}ms{dump * 1e3:>9.1f}ms{patch * 1e3:>7.0f}ms"
              f"{patch / dump:>12.0f}x{patch / load:>12.1f}x")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
