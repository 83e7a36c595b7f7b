"""Train the PII token head on the shared encoder's token features and write it as ONNX.

The head is a small MLP (384 -> 256 -> ReLU -> 6) applied to every token's layer-4 hidden state:
classes O and the five name-like types. The ONNX graph also reduces to what a signal needs, the
highest probability of each type over the text's tokens: real ones (``attention_mask``) and, for
PERSON, ORGANIZATION, GPE and NRP, those ``name_mask`` allows (capitalised words, see
``policies/inference/pii_names.py``). Training sees every token; the mask only applies at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from model_build.pii_corpus import HEAD_TYPES, Labelled
from policies.inference.pii_names import FEATURES, GATED_TYPES, MASK, NAME_MASK, OUTPUT

CLASSES = ("O", *HEAD_TYPES)
INPUTS = (FEATURES, MASK, NAME_MASK)  # the runtime's contract (policies/inference/pii_names.py)
OUTPUTS = (OUTPUT, "token_probabilities")
HIDDEN = 256
THRESHOLD = 0.5  # a type is present when its score reaches this (the PII signal's default threshold)


@dataclass
class TokenData:
    """Every real token of every text: its features and class index."""
    X: np.ndarray
    y: np.ndarray


def token_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> np.ndarray:
    """Class index per token: the type of the span its characters overlap, else O (special tokens: O)."""
    out = np.zeros(len(offsets), dtype=np.int64)
    for k, (start, end) in enumerate(offsets):
        if end <= start:
            continue
        for s, e, kind in spans:
            if start < e and s < end:
                out[k] = CLASSES.index(kind)
                break
    return out


def token_data(encoder, examples: Sequence[Labelled], batch_size: int = 32) -> TokenData:
    """Run the shipped encoder (its ``token_features`` output) over ``examples``, length-sorted."""
    from policies.inference.encoder import pad_batch

    encodings = encoder.encodings([e.text for e in examples])
    order = sorted(range(len(examples)), key=lambda i: len(encodings[i].ids))
    xs, ys = [], []
    for start in range(0, len(order), batch_size):
        members = order[start:start + batch_size]
        feeds = pad_batch([encodings[i].ids for i in members], encoder.pad_id, encoder.input_names)
        states = encoder.session.run([INPUTS[0]], feeds)[0]
        for row, i in enumerate(members):
            xs.append(states[row, :len(encodings[i].ids)])
            ys.append(token_labels(encodings[i].offsets, examples[i].spans))
    return TokenData(np.concatenate(xs).astype(np.float32), np.concatenate(ys))


def train(data: TokenData, seed: int, epochs: int = 12):
    """MLP by AdamW, unweighted cross-entropy (class weights bought recall with precision), fixed seed,
    one thread."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # the same weights from every build: no thread-order float sums
    model = torch.nn.Sequential(torch.nn.Linear(data.X.shape[1], HIDDEN), torch.nn.ReLU(),
                                torch.nn.Dropout(0.1), torch.nn.Linear(HIDDEN, len(CLASSES)))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(y), generator=gen).split(512):
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    return model.eval()


@dataclass
class TypeFigures:
    """Text-level precision / recall per type and over all types (a type present in a text or not)."""
    per_type: dict[str, dict[str, float]] = field(default_factory=dict)
    precision: float = 0.0
    recall: float = 0.0
    n_texts: int = 0


def text_level(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> TypeFigures:
    figures = TypeFigures(n_texts=len(gold))
    total = np.zeros(3)
    for kind in HEAD_TYPES:
        tp = sum(kind in g and kind in p for g, p in zip(gold, predicted))
        fp = sum(kind not in g and kind in p for g, p in zip(gold, predicted))
        fn = sum(kind in g and kind not in p for g, p in zip(gold, predicted))
        total += (tp, fp, fn)
        figures.per_type[kind] = {"precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1),
                                  "support": tp + fn}
    tp, fp, fn = total
    figures.precision, figures.recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return figures


def predicted_types(scores: np.ndarray) -> list[set[str]]:
    return [{HEAD_TYPES[j] for j in np.flatnonzero(row >= THRESHOLD)} for row in scores]


def to_onnx(model, dest: Path) -> None:
    """MLP per token, softmax, then the max over allowed tokens of each type's probability."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    first, last = model[0], model[3]
    w1 = first.weight.detach().numpy().T.astype(np.float32)
    w2 = last.weight.detach().numpy().T.astype(np.float32)
    dim, classes = w1.shape[0], w2.shape[1]
    inits = [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(first.bias.detach().numpy(), "b1"),
             numpy_helper.from_array(w2, "W2"), numpy_helper.from_array(last.bias.detach().numpy(), "b2"),
             numpy_helper.from_array(np.array([1], np.int64), "types_from"),
             numpy_helper.from_array(np.array([classes], np.int64), "types_to"),
             numpy_helper.from_array(np.array([2], np.int64), "last_axis"),
             numpy_helper.from_array(np.array([1], np.int64), "token_axis")]
    nodes = [
        helper.make_node("MatMul", [INPUTS[0], "W1"], ["h_lin"]),
        helper.make_node("Add", ["h_lin", "b1"], ["h_pre"]),
        helper.make_node("Relu", ["h_pre"], ["h"]),
        helper.make_node("MatMul", ["h", "W2"], ["logits_lin"]),
        helper.make_node("Add", ["logits_lin", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], [OUTPUTS[1]], axis=-1),
        helper.make_node("Slice", [OUTPUTS[1], "types_from", "types_to", "last_axis"], ["type_probs"]),
        helper.make_node("Cast", [INPUTS[1]], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "last_axis"], ["real_3d"]),
        helper.make_node("Mul", [INPUTS[2], "mask_f"], ["name_f"]),
        helper.make_node("Unsqueeze", ["name_f", "last_axis"], ["name_3d"]),
        helper.make_node("Concat", ["name_3d" if kind in GATED_TYPES else "real_3d" for kind in HEAD_TYPES], ["mask_3d"],
                         axis=2),
        helper.make_node("Mul", ["type_probs", "mask_3d"], ["masked"]),
        helper.make_node("ReduceMax", ["masked", "token_axis"], [OUTPUTS[0]], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "pii_token_head",
        [helper.make_tensor_value_info(INPUTS[0], TensorProto.FLOAT, ["batch", "sequence", dim]),
         helper.make_tensor_value_info(INPUTS[1], TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info(INPUTS[2], TensorProto.FLOAT, ["batch", "sequence"])],
        [helper.make_tensor_value_info(OUTPUTS[0], TensorProto.FLOAT, ["batch", classes - 1]),
         helper.make_tensor_value_info(OUTPUTS[1], TensorProto.FLOAT, ["batch", "sequence", classes])],
        initializer=inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                                   producer_name="routing-studio scripts/build_models.py")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(dest))


@dataclass
class NameHeadResult:
    """What the card reports: data sizes and text-level figures of the shipped file."""
    train_texts: int
    train_tokens: int
    templates_train: int
    templates_heldout: int
    synthetic: TypeFigures
    hand: dict[str, dict[str, TypeFigures]]  # set name -> {"model": ..., "patterns": ...}


def split_templates(templates: Sequence[str], seed: int, heldout: float = 0.2) -> tuple[list[str], list[str]]:
    """Held-out sentences come from templates the head never saw, not just new fillers."""
    order = list(range(len(templates)))
    np.random.default_rng(seed).shuffle(order)
    cut = int(len(order) * heldout)
    return [templates[i] for i in order[cut:]], [templates[i] for i in order[:cut]]


def shipped_scores(encoder, head_path: Path, labels_path: Path, texts: Sequence[str]) -> np.ndarray:
    """Scores from the written ONNX file through the runtime path (encoder pass + head)."""
    from policies.inference.pii_names import PiiNameHead

    return encoder.encode_with(list(texts), PiiNameHead(head_path, labels_path, "CPUExecutionProvider"))[1]


def pattern_types(texts: Sequence[str]) -> list[set[str]]:
    from policies.inference.pii import detect_pii

    scores = detect_pii(list(texts))
    return [{label for label, p in zip(scores.labels, row) if label in HEAD_TYPES and p >= THRESHOLD}
            for row in scores.probs]
