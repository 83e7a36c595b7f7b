"""Model scores of a cluster run, as Parquet partitions keyed by text sha, reused by later runs.

A worker scores only the texts of its own block (memory bounded by the block, not the dataset)
and looks up earlier scores here first, so a text scored by any worker, in any run, is never
scored again. Layout under the root (a local folder or any pyarrow filesystem URL shared by the
cluster; default ``$ROUTING_STUDIO_CACHE/cluster-scores``, beside the local SQLite cache)::

    model=<model file sha256>/signal=<definition sha>/shard=<first hex digit of text sha>/<uuid>.parquet

with columns ``text_sha`` (hex) and ``vec`` (list of float32): the keys of the local
:class:`policies.inference.cache.ScoreCache`, so a changed model or signal definition never
reads another's scores. Writers only add files (never rewrite one), so two workers racing on the
same text both write the same vector and readers take either. The shipped score layer of the
sample traffic lies under it, read-only, as under the local cache. Nothing compacts the files:
a long-lived root gains one file per shard touched per block that scored anything new.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ...inference.cache import ScoreStore, default_cache_dir, default_layer_path, score_layer

FOLDER = "cluster-scores"


def default_scores_root() -> str:
    """``$ROUTING_STUDIO_CACHE/cluster-scores`` (``~/.cache/routing-studio/cluster-scores``)."""
    return str(default_cache_dir() / FOLDER)


class ParquetScores(ScoreStore):
    """A :class:`ScoreStore` over Parquet partitions under ``root`` (see the module docstring)."""

    def __init__(self, root: str) -> None:
        if "://" in root:
            self.fs, self.root = pafs.FileSystem.from_uri(root)
        else:
            self.fs, self.root = pafs.LocalFileSystem(), str(Path(root).absolute())
        self.layer = score_layer(default_layer_path())
        self.written = 0  # files this store added (tests and the run summary read it)

    def _folder(self, model_sha: str, signal_sha: str, shard: str) -> str:
        return f"{self.root}/model={model_sha}/signal={signal_sha}/shard={shard}"

    def get(self, text_shas: Sequence[str], model_sha: str, signal_sha: str) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        by_shard: dict[str, set[str]] = defaultdict(set)
        for sha in text_shas:
            by_shard[sha[0]].add(sha)
        for shard, wanted in by_shard.items():
            selector = pafs.FileSelector(self._folder(model_sha, signal_sha, shard), allow_not_found=True)
            for info in self.fs.get_file_info(selector):
                if not info.path.endswith(".parquet"):
                    continue
                table = pq.read_table(info.path, filesystem=self.fs, filters=[("text_sha", "in", list(wanted))])
                for sha, vec in zip(table["text_sha"].to_pylist(), table["vec"].to_numpy(zero_copy_only=False)):
                    found.setdefault(sha, np.asarray(vec, dtype=np.float32))
        if self.layer is not None and len(found) < len(text_shas):
            found.update(self.layer.get([sha for sha in text_shas if sha not in found], model_sha, signal_sha))
        return found

    def put(self, text_shas: Sequence[str], model_sha: str, signal_sha: str, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        by_shard: dict[str, list[int]] = defaultdict(list)
        for row, sha in enumerate(text_shas):
            by_shard[sha[0]].append(row)
        for shard, rows in by_shard.items():
            folder = self._folder(model_sha, signal_sha, shard)
            self.fs.create_dir(folder, recursive=True)
            table = pa.table({"text_sha": [text_shas[r] for r in rows],
                              "vec": pa.array(list(vectors[rows]), type=pa.list_(pa.float32()))})
            # a whole file or none: written under a temporary name, then moved into place
            final = f"{folder}/{uuid.uuid4().hex}.parquet"
            temporary = f"{folder}/.{uuid.uuid4().hex}.tmp"
            pq.write_table(table, temporary, filesystem=self.fs)
            self.fs.move(temporary, final)
            self.written += 1
