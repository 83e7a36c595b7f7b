"""A real Ray cluster for the tests: a head and two worker nodes on this machine, one CPU and a small
object store each (``ray.cluster_utils.Cluster`` starts real GCS and raylet processes), shared by
the session and shut down by its own handles at the end (never ``ray stop``, which kills every Ray
process on the machine)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

OBJECT_STORE = 200 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "sample_data" / "policies"


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[object]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "object_store_memory": OBJECT_STORE, "include_dashboard": False})
    workers = [cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
               for _ in range(2)]
    cluster.wait_for_nodes()
    cluster.workers = workers  # type: ignore[attr-defined]
    try:
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh score cache for the run (the driver hands ``ROUTING_STUDIO_*`` to the workers)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROUTING_STUDIO_CACHE", str(folder))
    return folder


def cluster_children(cluster: object) -> list[int]:
    """Pids of the processes the cluster's raylets started (their workers), from /proc."""
    raylets = {p.process.pid for node in [cluster.head_node, *cluster.workers]  # type: ignore[attr-defined]
               for p in node.all_processes.get("raylet", [])}
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent in raylets:
            children.append(int(entry))
    return children


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def close(a: object, b: object) -> bool:
    """Equal, floats up to the order of additions (a relative 1e-9), recursively."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and a == pytest.approx(b, rel=1e-9, abs=1e-12)  # type: ignore[operator]
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


def assert_same_report(local: dict, local_rows: list[dict], cluster: dict, cluster_rows: list[dict]) -> None:
    """The cluster's merged summary and per-decision rows are the local engine's (``seconds`` aside;
    a decision's model shares compared as counts per model, ties in any order)."""
    differing = [k for k in local if k != "seconds" and not close(local[k], cluster.get(k))]
    assert not differing, {k: (local[k], cluster.get(k)) for k in differing}
    assert set(cluster) == set(local)
    assert [r["decision"] for r in cluster_rows] == [r["decision"] for r in local_rows]
    for mine, theirs in zip(cluster_rows, local_rows):
        models = lambda row: sorted((m["model"], m["count"]) for m in row.pop("models") or [])  # noqa: E731
        assert models(mine) == models(theirs), mine["decision"]
        assert close(mine, theirs), (mine, theirs)
