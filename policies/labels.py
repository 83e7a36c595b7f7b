"""Fixed label sets of vLLM Semantic Router (see shared spec §10)."""

from __future__ import annotations

MMLU_DOMAINS: tuple[str, ...] = (
    "biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
    "history", "law", "math", "other", "philosophy", "physics", "psychology",
)
FACT_CHECK_LABELS: tuple[str, ...] = ("needs_fact_check", "no_fact_check_needed")
USER_FEEDBACK_LABELS: tuple[str, ...] = ("satisfied", "need_clarification", "wrong_answer", "want_different")
MODALITY_LABELS: tuple[str, ...] = ("AR", "DIFFUSION", "BOTH")
INPUT_MODALITIES: tuple[str, ...] = ("text", "image", "audio", "video")
COMPLEXITY_LEVELS: tuple[str, ...] = ("easy", "medium", "hard")
PII_TYPES: tuple[str, ...] = (
    "AGE", "CREDIT_CARD", "DATE_TIME", "DOMAIN_NAME", "EMAIL_ADDRESS", "GPE", "IBAN_CODE",
    "IP_ADDRESS", "NRP", "ORGANIZATION", "PERSON", "PHONE_NUMBER", "STREET_ADDRESS", "TITLE",
    "US_DRIVER_LICENSE", "US_SSN", "ZIP_CODE",
)
# Reasoning family ids built into vllm-sr 0.4.0's model catalog (snapshot; a config may reference
# them as ``reasoning: {family: <id>}``).
BUILTIN_REASONING_FAMILIES: frozenset[str] = frozenset({
    "deepseek",
    "deepseek-v3.2",
    "deepseek-v3.1",
    "qwen3",
    "qwen3-always-on",
    "qwen3.8",
    "qwen3.8-always-on",
    "glm",
    "glm-5.2",
    "glm-5.3",
    "hunyuan",
    "hunyuan-hy3",
    "hunyuan-hy4",
    "gpt-oss",
    "gpt",
    "gpt-6-astra",
    "gpt-5.6",
    "gpt-5.5",
    "gpt-5.4",
    "grok-4.3",
    "grok-4.5",
    "grok-4.6",
    "claude-effort-always-on",
    "claude-effort-adaptive",
    "claude-effort-opt-in",
    "kimi-k3",
    "kimi-k2",
    "kimi-k2-always-on",
    "step-3.7",
    "minimax-m3",
    "muse-glimmer",
    "mistral-none-high",
    "mimo",
    "inkling",
    "muse-spark",
    "muse-spark-1.3",
    "gemma4",
    "nemotron-thinking-toggle",
    "nemotron-super",
    "nemotron-ultra",
    "gemini-flash-four-level-medium",
    "gemini-flash-three-level-medium",
})
