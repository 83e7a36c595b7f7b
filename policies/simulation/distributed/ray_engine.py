"""``simulate_on_ray``: the local engine's simulation, run block by block on a Ray cluster.

Why Ray Data: it is the standard engine for batch inference over files with actor pools on CPUs
or GPUs; the studio does not invent its own cluster. ``import ray`` happens only in this module,
which only ``--engine ray`` loads (Ray is the optional extra ``routing-studio[ray]``).

A run, in passes over the traffic (:mod:`.inputs` reads it in blocks):

1. **read**: read tasks stream each shard and normalise it into blocks with the local importer;
   the blocks are materialised in Ray's object store (spilled to disk past its memory).
2. **fit**: what the local engine fits over the whole traffic is fitted over all blocks, on the
   driver, from their narrow outcome columns in traffic order: the latency profiles and length
   ratios (:class:`..outcomes.OutcomeModel`) and the signal families the log records
   (:func:`..logged_signals.logged_families`). So no request's answer depends on its block.
3. **simulate**: an actor pool (one actor per worker, each holding its ONNX sessions; ``num_gpus``
   per actor when the cluster has GPUs) runs the local :class:`..engine.Simulator` on each block
   with that fit: the same Polars code decides, selects and prices every request. Model scores go
   through :class:`.scores.ParquetScores`. Each block writes its per-request rows (``--out``'s
   columns) to ``part-<block>.parquet`` and returns its report partial (:mod:`.partials`).
4. **merge**: the partials are added up on the driver; latency quantiles get their exact second
   pass over the written rows.

Faults: a read or simulate task that dies (a worker process or node lost) is retried by Ray (Ray
Data's defaults: tasks retried and pool actors restarted without limit; ``tests/ray/test_ray_faults.py``
kills a worker mid-run); a block's output file has a fixed name and is written whole or not at all, and the driver merges
exactly one partial per block key (checked: a block missing or twice is an error, never a
silently different count). Memory per worker is one block (its requests, their texts' vectors and
its result), never the dataset; the driver holds the fit's narrow columns (request id, tokens,
latency per served request and candidate) and the partials.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import polars as pl

from ...atomic import atomic_write_bytes
from ...errors import PolicyError
from ...model import Policy
from ...traffic import TrafficSet
from ...models_config import active_models
from ..frame import prepare_candidates, prepare_requests
from ..logged_signals import logged_families
from ..outcomes import OutcomeModel, fit_outcomes
from . import partials
from .inputs import Shard, detect_format, pack, plan_shards, read_shard, unpack, write_normalised
from .scores import ParquetScores, default_scores_root

DEFAULT_BLOCK_ROWS = 50_000
ENV_PREFIX = "ROUTING_STUDIO_"  # the driver's settings (cache, models, score layer) travel to the workers
_FIT_REQUESTS = ("request_id", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "model_served",
                 "latency_ms", "cache_hit")
_FIT_CANDIDATES = ("request_id", "model", "completion_tokens", "latency_ms")


@dataclass
class ClusterRun:
    """What a cluster run reports: the merged ``summary()`` and ``per_decision()`` of the local
    engine's result, and where the per-request rows are (``outputs``, in traffic order)."""

    summary: dict[str, Any]
    per_decision: pl.DataFrame
    outputs: list[str]
    blocks: int
    workers: int
    rejected: int
    scores_root: str
    scores_written: int
    timings: dict[str, float]  # seconds per pass: read, fit, simulate, merge (benchmarks/bench_ray.py prints them)

    def requests(self) -> pl.DataFrame:
        """Every request's row (the columns ``SimulationResult.outputs()`` has), read back from ``outputs``."""
        return pl.read_parquet(self.outputs) if self.outputs else pl.DataFrame()


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise PolicyError.single("engine.ray_missing", f"--engine ray needs Ray: {exc}",
                                 suggestion="pip install 'routing-studio[ray]'") from exc
    return ray


def _rows(batch: Any) -> Iterator[dict[str, Any]]:
    """The rows of a Ray batch (a dict of column arrays)."""
    names = list(batch)
    for i in range(len(batch[names[0]])):
        yield {name: batch[name][i] for name in names}


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]} if rows else {}


def _read_shards(batch: Any, block_rows: int, format: str | None) -> Iterator[dict[str, list[Any]]]:
    """Read task: each shard of the batch into its normalised, packed blocks."""
    for row in _rows(batch):
        fields = json.loads(row["shard"])
        for block in read_shard(Shard(**{**fields, "groups": tuple(fields["groups"])}), block_rows, format):
            yield _columns([pack(block)])


def _fit_columns(batch: Any) -> dict[str, list[Any]]:
    """Fit pass: a block's narrow outcome columns and the signal families its log records."""
    out = []
    for row in _rows(batch):
        block = unpack(row)
        prepared = prepare_requests(block.requests)
        out.append({"key": block.key, "requests": pickle.dumps(prepared.select(_FIT_REQUESTS)),
                    "candidates": pickle.dumps(prepare_candidates(block.candidates).select(_FIT_CANDIDATES)),
                    "families": json.dumps(sorted(logged_families(prepared))), "rejected": block.rejected})
    return _columns(out)


class BlockSimulator:
    """One worker of the actor pool: the models (loaded once), then the local engine per block."""

    def __init__(self, policy: bytes, fitted: Any, families: list[str], seed: int, mode: str,
                 scores_root: str, out_dir: str, models: bytes) -> None:
        ray = _ray()
        from ...inference import TextEncoder

        self.policy: Policy = pickle.loads(policy)
        self.fitted: OutcomeModel = pickle.loads(ray.get(fitted))
        self.families = frozenset(families)
        self.seed, self.mode, self.out_dir = seed, mode, out_dir
        cpus = int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1) or 1)
        # one single-threaded run per CPU this actor holds: onnxruntime's default pool would spread over
        # every core of the node, so N workers on N cores would each run N threads and get no faster than one
        self.encoder = TextEncoder(workers=max(cpus, 1), threads=1)
        self.store = ParquetScores(scores_root)
        self.models = pickle.loads(models)  # the driver's --model / models.yaml mapping (shared paths)

    def __call__(self, batch: Any) -> dict[str, list[Any]]:
        from ..engine import Simulator
        from ..neural import NeuralContext

        out = []
        for row in _rows(batch):
            block = unpack(row)
            written = self.store.written
            context = NeuralContext(encoder=self.encoder, store=self.store, models=self.models)  # a fresh memo per block
            simulator = Simulator(block.requests, block.candidates, context=context, seed=self.seed,
                                  mode=self.mode, outcome_model=self.fitted)
            simulator.store.logged_families = self.families  # the whole traffic's, as the local engine sees them
            result = simulator.simulate(self.policy)
            _write(result.outputs(), f"{self.out_dir}/part-{block.key}.parquet")
            out.append({"key": block.key, "partial": pickle.dumps(partials.partial(result)),
                        "scores_written": self.store.written - written})
        return _columns(out)


def _write(frame: pl.DataFrame, target: str) -> None:
    """The block's rows, whole or not at all (a retried block writes the same file again)."""
    if "://" in target:
        import pyarrow.fs as pafs

        fs, path = pafs.FileSystem.from_uri(target)
        with fs.open_output_stream(path) as stream:
            frame.write_parquet(stream)
        return
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    atomic_write_bytes(target, buffer.getvalue())


def _prepare_out(out: str | None) -> tuple[str, bool]:
    """The folder for per-request rows (``out``, emptied of earlier parts, or a temporary one)."""
    if out is None:
        return tempfile.mkdtemp(prefix="routing-studio-ray-"), True
    if "://" in out:
        import pyarrow.fs as pafs

        fs, path = pafs.FileSystem.from_uri(out)
        fs.create_dir(path, recursive=True)
        for info in fs.get_file_info(pafs.FileSelector(path, allow_not_found=True)):
            if info.base_name.startswith("part-"):
                fs.delete_file(info.path)
        return out.rstrip("/"), False
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise PolicyError.single("engine.out_not_folder", "--engine ray writes a folder of Parquet parts here",
                                 file=out, suggestion="name a folder (new or holding earlier parts)")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    return str(folder.absolute()), False


def simulate_on_ray(policy: Policy, traffic: str | Sequence[str], *, address: str | None = None,
                    workers: int = 2, out: str | None = None, scores: str | None = None,
                    block_rows: int = DEFAULT_BLOCK_ROWS, seed: int = 0, mode: str = "current",
                    format: str | None = None, num_gpus: float = 0.0) -> ClusterRun:
    """Simulate ``policy`` over ``traffic`` (files, folders, globs or URLs; :mod:`.inputs`) on Ray.

    ``address``: a cluster to join (``auto``, ``ray://host:10001``, ``host:6379``); None starts a
    local Ray instance for the run. ``workers``: actors of the simulation pool, each on 1 CPU (and
    ``num_gpus`` GPUs). ``out``: folder (or URL) for the per-request rows, ``part-<block>.parquet``
    in traffic order; None keeps them in a temporary folder for the run only. ``scores``: root of the
    Parquet score partitions (default ``$ROUTING_STUDIO_CACHE/cluster-scores``; on a cluster of
    several machines, a location they share). ``block_rows``: records per block of a log (a
    normalised table's blocks are its row groups). ``format``: the log format (default: detected on
    the first file). ``num_gpus``: GPUs per worker (the encoder runs on CUDA where onnxruntime has it).
    """
    started = time.perf_counter()
    inputs = [traffic] if isinstance(traffic, (str, os.PathLike)) else list(traffic)
    shards = plan_shards([str(i) for i in inputs], block_rows)
    format = format or detect_format(shards[0])
    scores_root = scores or default_scores_root()
    out_dir, temporary = _prepare_out(out)
    ray = _ray()
    joined = not ray.is_initialized()
    if joined:
        env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False,
                 **({} if address else {"include_dashboard": False}))
    try:
        run = _run(ray, policy, shards, format, workers, out_dir, scores_root, block_rows, seed, mode,
                   num_gpus, started)
    finally:
        if joined:
            ray.shutdown()
        if temporary:
            shutil.rmtree(out_dir, ignore_errors=True)
    if temporary:
        run.outputs = []  # the rows served the quantile pass and are gone: pass ``out`` to keep them
    return run


def _run(ray: Any, policy: Policy, shards: list[Shard], format: str | None, workers: int, out_dir: str,
         scores_root: str, block_rows: int, seed: int, mode: str, num_gpus: float, started: float) -> ClusterRun:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI prints its own report; Ray's bars would interleave with it
    # every traffic block its own Ray block (Ray would bundle small ones up to 128 MiB), so the
    # simulate pass hands each block to its own task, spread over the pool, and retries it alone
    context.target_max_block_size = 1
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    items = [{"shard": json.dumps(asdict(s))} for s in shards]
    blocks = (ray.data.from_items(items, override_num_blocks=len(items))
              .map_batches(_read_shards, fn_kwargs={"block_rows": block_rows, "format": format}, batch_size=1,
                           num_cpus=1)
              .materialize())
    timings["read"], clock = time.perf_counter() - clock, time.perf_counter()
    fit_rows = sorted(blocks.map_batches(_fit_columns, batch_size=1, num_cpus=1).take_all(),
                      key=lambda r: r["key"])
    if not fit_rows:
        raise PolicyError.single("traffic.empty", "the traffic holds no request", file=shards[0].location)
    fitted = fit_outcomes(pl.concat([pickle.loads(r["requests"]) for r in fit_rows]),
                          pl.concat([pickle.loads(r["candidates"]) for r in fit_rows]))
    families = sorted(set().union(*(json.loads(r["families"]) for r in fit_rows)))
    keys = [r["key"] for r in fit_rows]
    timings["fit"], clock = time.perf_counter() - clock, time.perf_counter()
    simulated = blocks.map_batches(
        BlockSimulator, batch_size=1, concurrency=max(workers, 1), num_cpus=1, num_gpus=num_gpus or None,
        fn_constructor_kwargs={"policy": pickle.dumps(policy), "fitted": ray.put(pickle.dumps(fitted)),
                               "families": families, "seed": seed, "mode": mode, "scores_root": scores_root,
                               "out_dir": out_dir, "models": pickle.dumps(active_models())}).take_all()
    timings["simulate"], clock = time.perf_counter() - clock, time.perf_counter()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in simulated:
        by_key.setdefault(row["key"], []).append(row)
    if sorted(by_key) != keys or any(len(rows) != 1 for rows in by_key.values()):
        raise PolicyError.single("engine.blocks_mismatch",
                                 f"the cluster returned {len(simulated)} results for {len(keys)} blocks")
    merged = partials.merge([pickle.loads(by_key[k][0]["partial"]) for k in keys])
    outputs = [f"{out_dir}/part-{k}.parquet" for k in keys]
    quantiles = partials.exact_quantiles(merged, outputs)
    timings["merge"] = time.perf_counter() - clock
    return ClusterRun(summary=partials.summary(merged, quantiles, time.perf_counter() - started),
                      per_decision=partials.per_decision(merged, quantiles), outputs=outputs, blocks=len(keys),
                      workers=workers, rejected=sum(int(r["rejected"]) for r in fit_rows), scores_root=scores_root,
                      scores_written=sum(int(by_key[k][0]["scores_written"]) for k in keys), timings=timings)


def simulate_traffic_on_ray(policy: Policy, traffic: TrafficSet, **options: Any) -> ClusterRun:
    """:func:`simulate_on_ray` over a traffic set already in memory (the studio's picked traffic),
    written once as a normalised table (:func:`.inputs.write_normalised`) in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="routing-studio-traffic-") as folder:
        path = Path(folder) / "traffic.parquet"
        write_normalised(traffic.requests, traffic.candidate_outcomes, path)
        return simulate_on_ray(policy, str(path), **options)
