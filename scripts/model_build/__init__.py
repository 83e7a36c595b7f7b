"""Build-time helpers for scripts/build_models.py (need torch, sentence-transformers, onnx, scikit-learn)."""
