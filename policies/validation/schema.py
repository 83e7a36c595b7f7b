"""Shape checks against vllm-sr 0.4.0's JSON Schema (being written; registers no check yet)."""
