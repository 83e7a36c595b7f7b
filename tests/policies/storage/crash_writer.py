"""Writer processes for test_crash, forked from one warmed-up parent so each kill costs milliseconds.

Run as ``python crash_writer.py URL WORKDIR``: it imports the store once (slow on a loaded CI
box), prints ``ready``, then serves stdin commands:

* ``go SEED``: fork a writer and print its pid. The writer opens the store, appends ``W`` to
  WORKDIR/progress-SEED, then ``B`` before and ``E`` after every write of a 64-512 KiB YAML
  version or a simulation run with up to 5000 decision rows, until it is killed.
* ``reap PID``: wait for that writer and print how it ended (``signal N`` or ``exit N``).

The writer never returns to the command loop; any error ends it with exit status 1 and a
traceback in WORKDIR/error-SEED.
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from pathlib import Path

import sqlalchemy as sa

from policies.storage import Store

POLICY = "crash"


def write_forever(url: str, progress: int, seed: int) -> None:
    rng = random.Random(seed)
    block = "".join(f"  - name: rule_{i}\n    weight: {rng.random():.6f}\n" for i in range(2000))
    store = Store.open(url)
    os.write(progress, b"W")
    for i in range(10**9):
        os.write(progress, b"B")
        if (i + seed) % 3 == 0:  # every writer does both kinds of write, whenever it is killed
            rows = [{"row": n, "decision": f"d{n % 7}", "score": rng.random()} for n in range(rng.randint(1, 5000))]
            store.save_simulation_run(POLICY, {"rows": len(rows), "writer": seed}, decisions=rows)
        else:
            size = rng.randint(64, 512) * 1024
            spec = f"# writer {seed} save {i}\nrules:\n" + (block * (size // len(block) + 1))[:size]
            store.save_version(POLICY, spec, f"writer-{seed}", f"save {i}")
        os.write(progress, b"E")


def fork_writer(url: str, workdir: Path, seed: int) -> int:
    progress = os.open(workdir / f"progress-{seed}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(url, progress, seed)
        except BaseException:
            (workdir / f"error-{seed}").write_text(traceback.format_exc())
        os._exit(1)
    os.close(progress)
    return pid


def describe(status: int) -> str:
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}"


def main(url: str, workdir: Path) -> None:
    sa.create_engine(url).dispose()  # loads the DB driver once here instead of in every writer
    print("ready", flush=True)
    for line in sys.stdin:
        command, arg = line.split()
        if command == "go":
            print(fork_writer(url, workdir, int(arg)), flush=True)
        else:
            print(describe(os.waitpid(int(arg), 0)[1]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
