"""Before/after of a policy's findings when its proposed repairs are applied in sequence (issue 14, item 1).

Each step repairs the first active repairable finding with its first admissible repair, or accepts the
overlap as intended (:mod:`policies.conflicts.settle`). Prints the steps and the count of findings by kind
before and after. Run: ``python scripts/settle_findings.py sample_data/policies/safety_first.yaml``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.conflicts import AnalysisOptions  # noqa: E402
from policies.conflicts.settle import counts, settle  # noqa: E402
from policies.loader import load_policy  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.policy:
        result = settle(load_policy(path), options=AnalysisOptions())
        before, after = counts(result.before), counts(result.after)
        print(f"{path}: {len(result.steps)} steps")
        for i, step in enumerate(result.steps, 1):
            print(f"  {i}. {step.finding} -> {step.action}")
        for finding in result.left:
            print(f"  left as it is (no admissible repair, cannot be accepted): {finding}")
        kinds = sorted(set(before) | set(after))
        width = max(len("kind"), *(len(k) for k in kinds))
        print(f"  {'kind'.ljust(width)}  before  after")
        for kind in kinds:
            print(f"  {kind.ljust(width)}  {before[kind]:>6}  {after[kind]:>5}")


if __name__ == "__main__":
    main()
