"""Score cache: hits skip the model, keys separate models and signal definitions, two processes share it."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np

from policies.inference.cache import ScoreCache, default_cache_dir, definition_sha, text_sha


def test_default_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTING_STUDIO_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ROUTING_STUDIO_CACHE")
    assert default_cache_dir().name == "routing-studio"


def test_hits_skip_compute_and_keys_are_separate(tmp_path):
    cache = ScoreCache(tmp_path)
    calls: list[list[str]] = []

    def compute(texts):
        calls.append(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    sig = definition_sha("domain", ("a", "b"))
    first = cache.scores(["x", "yy", "x"], "m1", sig, compute)
    assert calls == [["x", "yy"]]
    again = ScoreCache(tmp_path).scores(["yy", "x", "zzz"], "m1", sig, compute)
    assert calls[-1] == ["zzz"]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])
    cache.scores(["x"], "m2", sig, compute)
    cache.scores(["x"], "m1", definition_sha("domain", ("a", "c")), compute)
    assert calls[-2:] == [["x"], ["x"]]


def test_classifier_uses_cache(tmp_path, domain):
    cache = ScoreCache(tmp_path)
    texts = ["What is an enzyme?", "Define opportunity cost."]
    direct = domain.predict(texts).probs
    cached = domain.predict(texts, cache=cache).probs
    np.testing.assert_allclose(cached, direct, atol=1e-6)
    sig = definition_sha(domain.kind, domain.labels)
    assert len(cache.get([text_sha(t) for t in texts],
                         domain.model_sha256, sig)) == 2


def _writer(directory: str, worker: int, n: int) -> None:
    cache = ScoreCache(directory)
    for i in range(n):
        cache.put([f"w{worker}-{i}", "shared"], "m", "s", np.full((2, 3), worker * 1000 + i, dtype=np.float32))


def test_two_processes_write_concurrently(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 40)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    got = ScoreCache(tmp_path).get([f"w{w}-{i}" for w in (1, 2) for i in range(40)] + ["shared"], "m", "s")
    assert len(got) == 81
    assert got["w2-39"].tolist() == [2039.0] * 3
    assert got["shared"][0] in (1039.0, 2039.0)
