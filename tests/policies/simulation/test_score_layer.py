"""The shipped score layer (sample_data/scores/): the scores the runtime computes, used only for its
own models and pattern code, never written; and the PII pattern pass run beside the encoder."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import polars as pl
import pytest

import sample_data
from policies.inference.cache import (LAYER_ENV, ScoreCache, ScoreLayer, default_layer_path, definition_sha,
                                      text_sha)
from policies.loader import load_policy
from policies.simulation import Simulator
from policies.simulation.frame import PROMPT, prepare_requests
from policies.simulation.neural import NeuralContext
from policies.traffic import sample_traffic

inference = pytest.importorskip("policies.inference")

SLICE = 300  # requests simulated both ways: enough for every decision of safety_first to fire
FIRST_POLICY = sample_data.policies_dir() / "safety_first.yaml"


@pytest.fixture(scope="module")
def layer_path():
    path = default_layer_path()
    if path is None:
        pytest.fail("no score layer shipped under sample_data/scores/: run scripts/build_score_layer.py")
    return path


@pytest.fixture(scope="module")
def sample():
    return sample_traffic()


def _file_sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cached_groups(directory) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    return {(meta["model_sha"], meta["signal_sha"]): dict(zip(shas, vectors))
            for meta, shas, vectors in ScoreCache(directory).groups()}


# Model scores may move in the last bits with the CPU's instruction set or a GPU (the runtime's own
# spread between batch compositions is 3e-8 to 7.5e-8 here); on the machine that built the layer they
# are bit-identical. Pattern scores are plain Python: always exact.
MODEL_TOLERANCE = 1e-5


def test_layer_holds_what_the_runtime_computes(layer_path, sample, tmp_path, monkeypatch):
    """Recompute the sample's last chunk of distinct prompts with the layer off (the build ran the
    same chunk through the same encoder batches) and compare every cached key."""
    monkeypatch.setenv(LAYER_ENV, "off")
    prompts = prepare_requests(sample.requests)[PROMPT].unique(maintain_order=True).to_list()
    context = NeuralContext(cache_dir=tmp_path)
    tail = pl.Series(prompts[len(prompts) - len(prompts) % context.batch_size:] or prompts[-context.batch_size:])
    context.plan({"pii"})
    for head in ("jailbreak", "domain"):
        context.head_probabilities(head, tail)
    context.pii_scores(tail)
    fresh = _cached_groups(tmp_path)
    assert len(fresh) == 5  # embeddings, name scores, two heads, PII patterns
    layer = ScoreLayer(layer_path)
    patterns = inference.pii.patterns_sha()
    for (model_sha, signal_sha), rows in fresh.items():
        shipped = layer.get(list(rows), model_sha, signal_sha)
        assert shipped.keys() == rows.keys(), f"layer lacks {model_sha[:8]}/{signal_sha[:8]} scores"
        tolerance = 0 if model_sha == patterns else MODEL_TOLERANCE
        for sha, vector in rows.items():
            np.testing.assert_allclose(shipped[sha], vector, rtol=0, atol=tolerance)


def test_layer_routes_like_no_layer_and_is_never_written(layer_path, sample, tmp_path, monkeypatch):
    requests = sample.requests.head(SLICE)
    policy = load_policy(FIRST_POLICY)
    before = (_file_sha(layer_path), layer_path.stat().st_mtime_ns)
    layered = Simulator(requests, context=NeuralContext(cache_dir=tmp_path / "a")).simulate(policy).requests
    assert _cached_groups(tmp_path / "a") == {}, "the layer missed scores: nothing should have been computed"
    monkeypatch.setenv(LAYER_ENV, "off")
    computed = Simulator(requests, context=NeuralContext(cache_dir=tmp_path / "b")).simulate(policy).requests
    assert _cached_groups(tmp_path / "b"), "with the layer off the models run"
    routed = [c for c in layered.columns if c in ("request_id", "decision", "model") or c.startswith("fired::")]
    assert layered.select(routed).equals(computed.select(routed))
    assert layered["decision"].n_unique() >= 4
    assert (_file_sha(layer_path), layer_path.stat().st_mtime_ns) == before
    with pytest.raises(ValueError):
        next(iter(ScoreLayer(layer_path)._groups.values()))[1][0, 0] = 1.0  # read-only arrays


@pytest.mark.parametrize("policy", sorted(p.name for p in sample_data.policies_dir().glob("*.yaml")))
def test_layer_covers_every_bundled_policy_on_the_sample(policy, layer_path, sample, tmp_path):
    """A fresh install's first simulation of any bundled policy on the sample runs no model and no
    pattern pass. Fails after a model rebuild or an edit of pii.py until the layer is rebuilt."""
    Simulator(sample.requests.head(SLICE), context=NeuralContext(cache_dir=tmp_path)).simulate(
        load_policy(sample_data.policies_dir() / policy))
    assert _cached_groups(tmp_path) == {}, "stale layer: run python scripts/build_score_layer.py"


def test_layer_of_another_model_sha_is_not_used(layer_path, tmp_path, monkeypatch):
    """Rewrite the shipped layer with marker vectors: under the model's own sha they are read (the
    lookup works), under another sha they are not (the scores are computed); the user's own cache
    comes first."""
    layer = ScoreLayer(layer_path)
    texts = ["Write a sonnet about autumn leaves", "What is 2 + 2?"]
    encoder = inference.default_encoder()
    key = (encoder.model_sha256, definition_sha("sentence-embedding"))
    assert key in layer._groups
    shas = [text_sha(t) for t in texts]
    marker = np.full((len(texts), encoder.dim), 7.0, dtype=np.float32)
    for model_sha, expect_marker in ((key[0], True), ("0" * 64, False)):
        path = tmp_path / f"{model_sha[:4]}.npz"
        ScoreLayer.write(path, [({"model_sha": model_sha, "signal_sha": key[1]}, shas, marker)])
        monkeypatch.setenv(LAYER_ENV, str(path))
        got = NeuralContext(encoder, cache_dir=tmp_path / model_sha[:4]).embed(texts)
        assert np.array_equal(got, marker) == expect_marker
        if not expect_marker:
            np.testing.assert_allclose(got, encoder.encode(texts), atol=1e-6)
    ScoreCache(tmp_path / "own").put(shas, *key, marker + 1)  # the user's cache is read before the layer
    monkeypatch.setenv(LAYER_ENV, str(tmp_path / f"{key[0][:4]}.npz"))
    assert np.array_equal(NeuralContext(encoder, cache_dir=tmp_path / "own").embed(texts), marker + 1)


def test_layer_files_are_byte_identical_across_rebuilds(tmp_path):
    """The build is reproducible: the same scores written twice (a second apart) give the same bytes."""
    groups = [({"model_sha": "m" * 64, "signal_sha": "s" * 64}, ["a" * 64, "b" * 64],
               np.arange(8, dtype=np.float32).reshape(2, 4))]
    ScoreLayer.write(tmp_path / "one.npz", groups)
    time.sleep(2.1)  # zip timestamps have a 2 s resolution; np.savez would stamp the current time
    ScoreLayer.write(tmp_path / "two.npz", groups)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    assert np.array_equal(ScoreLayer(tmp_path / "two.npz").get(["b" * 64], "m" * 64, "s" * 64)["b" * 64],
                          groups[0][2][1])


def test_missing_layer_named_by_the_environment_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(LAYER_ENV, str(tmp_path / "nowhere.npz"))
    with pytest.raises(Exception, match="nowhere.npz"):
        ScoreCache(tmp_path)


def test_pii_pattern_pass_beside_the_encoder_equals_sequential(sample):
    texts = pl.Series(sample.requests["prompt"].head(120).to_list()
                      + ["my card is 4111 1111 1111 1111", "SSN 123-45-6789, call 415-555-0100",
                         "Dr. Jane Smith of Acme Corp wrote to me"])
    overlapped = NeuralContext(use_disk_cache=False)
    overlapped.plan({"pii"})
    overlapped.prefetch_pii(texts)
    first = overlapped.pii_scores(texts)
    sequential = NeuralContext(use_disk_cache=False).pii_scores(texts)
    assert first.keys() == sequential.keys()
    for label in first:
        np.testing.assert_array_equal(first[label], sequential[label])
    distinct = texts.to_list()
    _, names = inference.default_encoder().encode_with(distinct, inference.pii_name_head())
    reference = inference.detect_pii(distinct, inference.Scores(inference.pii_name_head().labels, names))
    assert first["CREDIT_CARD"][-3] > 0.5 and first["US_SSN"][-2] > 0.5
    for j, label in enumerate(reference.labels):
        np.testing.assert_array_equal(first[label], reference.probs[:, j].astype(np.float64))
