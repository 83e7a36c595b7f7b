"""Build small but real models in the Hugging Face ONNX layout for tests: ``config.json`` with
``id2label``, a WordPiece ``tokenizer.json`` written by the ``tokenizers`` library, and a
``model.onnx`` built with the ``onnx`` helper API.

Each model is a bag of token votes: a weight matrix gathered by ``input_ids`` (masked by
``attention_mask`` and summed for a sequence classifier, per token for a token classifier, as hidden
states for an embedding model), so what it decides follows from the words of a text, and a test can
say in advance what it must decide.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
OPSET = 17


def write_tokenizer(directory: Path, words: Sequence[str]) -> dict[str, int]:
    """A lower-casing WordPiece tokenizer over ``words`` (``##x`` pieces allowed); returns the vocab."""
    vocab = {token: i for i, token in enumerate([*SPECIAL, *dict.fromkeys(words)])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[
        ("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.decoder = decoders.WordPiece()
    tok.save(str(directory / "tokenizer.json"))
    return vocab


def write_config(directory: Path, labels: Sequence[str] | None, architecture: str) -> None:
    config: dict = {"architectures": [architecture], "model_type": "bert"}
    if labels is not None:
        config["id2label"] = {str(i): label for i, label in enumerate(labels)}
        config["label2id"] = {label: i for i, label in enumerate(labels)}
    (directory / "config.json").write_text(json.dumps(config, indent=2))


def _graph(weights: np.ndarray, mode: str, output: str, inputs: Sequence[str]) -> onnx.ModelProto:
    """``mode``: ``sum`` (masked sum over tokens: [B, W]), ``tokens`` ([B, T, W]) or ``mean`` (masked
    mean, [B, W])."""
    width = weights.shape[1]
    nodes = [helper.make_node("Gather", ["W", inputs[0]], ["tok"], axis=0)]
    inits = [numpy_helper.from_array(weights.astype(np.float32), "W"),
             numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    if "attention_mask" in inputs:
        nodes += [helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
                  helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
                  helper.make_node("Mul", ["tok", "mask3"], ["masked"])]
    else:
        nodes.append(helper.make_node("Identity", ["tok"], ["masked"]))
    if mode == "tokens":
        nodes.append(helper.make_node("Identity", ["masked"], [output]))
        shape: list = ["batch", "tokens", width]
    else:
        nodes.append(helper.make_node("ReduceSum", ["masked", "axis1"], [output if mode == "sum" else "total"],
                                      keepdims=0))
        if mode == "mean":
            nodes += [helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
                      helper.make_node("Div", ["total", "count"], [output])]
        shape = ["batch", width]
    graph_inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in inputs]
    graph = helper.make_graph(nodes, "bag_of_tokens", graph_inputs,
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_classifier(directory: Path, labels: Sequence[str], votes: Mapping[str, Mapping[str, float]], *,
                     token: bool = False, default: str | None = None, extra_words: Sequence[str] = (),
                     inputs: Sequence[str] = ("input_ids", "attention_mask"), output: str = "logits") -> Path:
    """A sequence (or, with ``token``, token) classifier: each word in ``votes`` adds its weights to
    the named labels; every token adds 0.5 to ``default`` (so a text without a voting word gets it)."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab = write_tokenizer(directory, [*votes, *extra_words])
    weights = np.zeros((len(vocab), len(labels)), dtype=np.float32)
    if default is not None:
        weights[:, list(labels).index(default)] = 0.5
    for word, by_label in votes.items():
        for label, weight in by_label.items():
            weights[vocab[word], list(labels).index(label)] += weight
    onnx.save(_graph(weights, "tokens" if token else "sum", output, inputs), str(directory / "model.onnx"))
    write_config(directory, labels, "BertForTokenClassification" if token else "BertForSequenceClassification")
    return directory


def build_embedding(directory: Path, vectors: Mapping[str, Sequence[float]], *, pooled: bool = False) -> Path:
    """An embedding model: each word's vector (others zero). Outputs ``last_hidden_state``, or with
    ``pooled`` a mean-pooled ``sentence_embedding``."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab = write_tokenizer(directory, list(vectors))
    dim = len(next(iter(vectors.values())))
    weights = np.zeros((len(vocab), dim), dtype=np.float32)
    for word, vector in vectors.items():
        weights[vocab[word]] = vector
    output = "sentence_embedding" if pooled else "last_hidden_state"
    onnx.save(_graph(weights, "mean" if pooled else "tokens", output, ("input_ids", "attention_mask")),
              str(directory / "model.onnx"))
    write_config(directory, None, "BertModel")
    return directory
