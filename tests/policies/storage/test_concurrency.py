"""Concurrent savers all succeed and get distinct, gap-free version numbers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from policies.storage import Store

THREADS, SAVES = 6, 5


def test_concurrent_saves_get_distinct_contiguous_numbers(store: Store) -> None:
    # A brand-new policy, so the threads also race to create the policy row itself.
    start = threading.Barrier(THREADS)

    def saver(worker: int) -> list[int]:
        start.wait()
        return [store.save_version("race", f"worker: {worker}\nsave: {i}\n", f"w{worker}", "").version
                for i in range(SAVES)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(saver, range(THREADS)))

    numbers = sorted(n for per_worker in results for n in per_worker)
    assert numbers == list(range(1, THREADS * SAVES + 1))
    assert all(r == sorted(r) for r in results)  # each saver sees its own saves in order
    history = store.list_versions("race")
    assert [v.parent_version for v in history] == [None, *range(1, THREADS * SAVES)]


def test_two_stores_on_one_database_share_numbering(store_url: str) -> None:
    with Store.open(store_url) as a, Store.open(store_url) as b:
        assert [a.save_version("p", "x", "a", "").version, b.save_version("p", "y", "b", "").version,
                a.save_version("p", "z", "a", "").version] == [1, 2, 3]
