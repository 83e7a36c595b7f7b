"""Train the embedding classifier heads and write them as plain ONNX graphs.

A head is multinomial logistic regression on the 384-d sentence embedding, exported as
Gemm + Softmax (input ``sentence_embedding``, output ``probabilities``), so one encoder pass per
request serves every head. The shipped head is the one trained on the training split only, so
the held-out figures in the model card are the shipped model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

INPUT = "sentence_embedding"
OUTPUT = "probabilities"


@dataclass
class HeadResult:
    labels: list[str]
    C: float
    heldout_accuracy: float
    heldout_n: int
    train_n: int
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    per_source: dict[str, dict[str, float]] = field(default_factory=dict)
    heldout_indices: list[int] = field(default_factory=list)


def split(strata: Sequence[str], test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/held-out indices."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(strata))
    return train_test_split(idx, test_size=test_size, random_state=seed, stratify=list(strata))


def train(X: np.ndarray, y: Sequence[str], train_idx: np.ndarray, seed: int):
    """Logistic regression with C picked by 5-fold CV on the training split only."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    y = np.asarray(y)
    search = GridSearchCV(
        LogisticRegression(max_iter=5000, class_weight="balanced"),
        {"C": [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]},
        cv=StratifiedKFold(5, shuffle=True, random_state=seed), scoring="accuracy")
    search.fit(X[train_idx], y[train_idx])
    return search.best_estimator_


def evaluate(clf, X: np.ndarray, y: Sequence[str], test_idx: np.ndarray, sources: Sequence[str] | None = None,
             train_n: int = 0) -> HeadResult:
    """Held-out accuracy, per-class precision/recall and, if given, accuracy per data source."""
    from sklearn.metrics import precision_recall_fscore_support

    y = np.asarray(y)
    pred = clf.predict(X[test_idx])
    truth = y[test_idx]
    labels = [str(c) for c in clf.classes_]
    p, r, _, n = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    result = HeadResult(labels=labels, C=float(clf.C), heldout_accuracy=float((pred == truth).mean()),
                        heldout_n=len(test_idx), train_n=train_n, heldout_indices=[int(i) for i in test_idx])
    result.per_class = {lab: {"precision": float(p[k]), "recall": float(r[k]), "n": int(n[k])}
                        for k, lab in enumerate(labels)}
    if sources is not None:
        src = np.asarray(sources)[test_idx]
        for s in sorted(set(src)):
            m = src == s
            result.per_source[s] = {"accuracy": float((pred[m] == truth[m]).mean()), "n": int(m.sum())}
    return result


def to_onnx(clf, dest: Path, name: str) -> None:
    """Gemm + Softmax graph equivalent to ``clf.predict_proba`` (binary becomes two logits [0, z])."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    coef = clf.coef_.astype(np.float32)
    bias = clf.intercept_.astype(np.float32)
    if coef.shape[0] == 1:
        coef = np.vstack([np.zeros_like(coef), coef])
        bias = np.concatenate([np.zeros(1, np.float32), bias])
    dim, classes = coef.shape[1], coef.shape[0]
    graph = helper.make_graph(
        [helper.make_node("Gemm", [INPUT, "W", "b"], ["logits"], transB=1),
         helper.make_node("Softmax", ["logits"], [OUTPUT], axis=1)],
        name,
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", dim])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", classes])],
        initializer=[numpy_helper.from_array(coef, "W"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="routing-studio scripts/build_models.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(dest))
