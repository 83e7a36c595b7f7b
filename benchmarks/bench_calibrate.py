"""``routing-studio calibrate``'s fit against one simulation of the same log, as the log grows.

    python benchmarks/bench_calibrate.py [--requests 250 1000 4000]

Log: the first N prompts of the bundled sample traffic as Router Replay records whose complexity
verdicts (and decisions) are the simulator's own at threshold 0.05 (tests/calibration_logs.py);
policy: sample cost_optimised (written 0.1). Printed per N: the fit from logged signal verdicts
and from decisions alone, each as seconds and as a multiple of one ``Simulator.simulate`` of the
log (the anchor, timed in the same run over the same cached scores), the candidate thresholds
swept, and the agreement reached. The machine line is printed first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import best_of, machine  # noqa: E402
from policies.calibration import calibrate  # noqa: E402
from policies.simulation.engine import Simulator  # noqa: E402
from policies.traffic import read_traffic  # noqa: E402
from tests.calibration_logs import SIGNAL, logged_at  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, nargs="+", default=[250, 1000, 4000])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"{'requests':>8} {'labels':>9} {'candidates':>10} {'simulate s':>10} {'fit s':>7} {'fit/sim':>7} "
          f"{'labels/s':>9} {'agreement':>17}")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.requests:
            logged = logged_at(Path(folder) / str(n), n=n)
            for labels, log in (("signals", logged.write("s.jsonl", signals=True, decisions=False)),
                                ("decisions", logged.write("d.jsonl", signals=False))):
                traffic = read_traffic(log)
                simulator = Simulator(traffic)
                simulator.simulate(logged.policy)  # scores cached: both sides read the same raw columns
                anchor = best_of(lambda: simulator.simulate(logged.policy), repeat=3)
                started = time.perf_counter()
                (fit,) = calibrate(simulator, traffic.requests, logged.policy, [SIGNAL])
                seconds = time.perf_counter() - started
                print(f"{n:>8} {labels:>9} {fit.candidates:>10} {anchor:>10.3f} {seconds:>7.2f} "
                      f"{seconds / anchor:>6.0f}x {fit.labelled / seconds:>9.0f} "
                      f"{fit.before:>7.1%} -> {fit.after:>6.1%}")


if __name__ == "__main__":
    main()
