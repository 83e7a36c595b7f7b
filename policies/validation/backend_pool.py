"""One model's backend_refs share one Envoy cluster, so they must agree on what Envoy cannot vary per endpoint.

Mirrors vllm-sr 0.4.0's ``cli/envoy_backend_pool.py`` (``backend_route_semantics`` and
``validate_homogeneous_backend_group``), which its ``config validate`` runs through the provider
projection: provider, URL scheme, DNS-or-IP discovery, base path, TLS server name, credential
source, auth header and prefix, extra headers, API version and chat path. Checked on the values as
written: endpoints vllm-sr would fill in from its provider catalog are not modelled (see the
differential test's KNOWN_GAPS), and an endpoint we cannot parse is left to those checks.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator
from urllib.parse import urlsplit

from ..errors import Finding
from ..model import Policy
from .base import error, policy_check

# Field -> the words vllm-sr's message uses for it.
LABELS = {"provider": "provider", "transport": "URL scheme", "discovery": "DNS/IP discovery", "path": "base path",
          "tls_server_name": "TLS server name", "credential": "credential source", "auth_header": "auth header",
          "auth_prefix": "auth prefix", "extra_headers": "extra headers", "api_version": "API version",
          "chat_path": "chat path"}


def _host_and_path(endpoint: str) -> tuple[str, str]:
    """Host and base path of an ``endpoint`` written without a scheme (``host[:port][/path]``, IPv6 in brackets)."""
    authority, _, rest = endpoint.partition("/")
    path = "/" + rest if rest else ""
    if authority.startswith("["):
        return authority[1:authority.index("]")], path
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority, path


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def route_semantics(ref: dict[str, Any]) -> dict[str, Any] | None:
    """What one Envoy cluster holds constant, for one backend_ref as written; None without an endpoint."""
    endpoint = str(ref.get("base_url") or ref.get("endpoint") or "")
    if not endpoint:
        return None
    protocol = str(ref.get("protocol") or "http").strip().lower() or "http"
    if "://" in endpoint:
        parsed = urlsplit(endpoint)
        host, path, protocol = parsed.hostname or parsed.netloc, parsed.path.rstrip("/"), parsed.scheme.lower() or protocol
    else:
        host, path = _host_and_path(endpoint)
    credential = (("inline", ref["api_key"]) if ref.get("api_key") else
                  ("environment", ref["api_key_env"]) if ref.get("api_key_env") else ("", ""))
    headers = ref.get("extra_headers")
    return {"provider": ref.get("provider") or "vllm", "transport": protocol,
            "discovery": "ip" if _is_ip(host) else "dns", "path": path,
            "tls_server_name": host if protocol == "https" else "", "credential": credential,
            "auth_header": ref.get("auth_header") or "", "auth_prefix": ref.get("auth_prefix") or "",
            "extra_headers": sorted(headers.items()) if isinstance(headers, dict) else headers,
            "api_version": ref.get("api_version") or "", "chat_path": ref.get("chat_path") or ""}


@policy_check
def shared_envoy_cluster(policy: Policy) -> Iterator[Finding]:
    for i, model in enumerate(policy.providers.models if policy.providers else []):
        baseline: tuple[int, dict[str, Any]] | None = None
        for j, ref in enumerate(model.backend_refs or []):
            try:
                semantics = route_semantics(ref.to_spec())
            except (ValueError, IndexError):  # a malformed endpoint: vllm-sr's endpoint checks name it
                continue
            if semantics is None:
                continue
            if baseline is None:
                baseline = (j, semantics)
                continue
            differing = [LABELS[k] for k, v in semantics.items() if baseline[1][k] != v]
            if differing:
                yield error("backend-cluster", f"model '{model.name}': backend_refs[{j}] cannot share one Envoy cluster "
                            f"with backend_refs[{baseline[0]}]: {', '.join(differing)} differ",
                            ("providers", "models", i, "backend_refs", j),
                            "split heterogeneous backends into separate models (vllm-sr 0.4.0 rejects them)")
