"""Snapshot the field names of vllm-sr 0.4.0's bundled JSON Schema into policies/data/.

The validator uses the snapshot to reject unknown fields exactly where 0.4.0 does (its objects
are closed), without depending on the vllm-sr package at run time. Re-run after a vllm-sr
upgrade: ``pip install vllm-sr==X && python scripts/snapshot_vllm_sr_contract.py``.
"""

from __future__ import annotations

import json
from importlib import metadata, resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "policies" / "data" / "vllm_sr_contract.json"


def main() -> None:
    schema = json.loads(resources.files("cli.config_schema").joinpath("router-config-v0.3.schema.json").read_text())
    defs = schema["$defs"]

    def res(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].split("/")[-1]]
        for key in ("anyOf", "oneOf"):
            if key in node and "properties" not in node:
                options = [res(o) for o in node[key] if o.get("type") != "null"]
                objs = [o for o in options if "properties" in o or "items" in o]
                if objs:
                    return objs[0]
        return node

    def fields(node: dict) -> list[str]:
        return sorted(res(node).get("properties", {}))

    def items(node: dict) -> dict:
        return res(res(node).get("items", {}))

    top = schema["properties"]
    routing = res(top["routing"])["properties"]
    decision = items(routing["decisions"])
    providers = res(top["providers"])["properties"]
    model = items(providers["models"])
    signals = res(routing["signals"])["properties"]
    algorithm = res(decision["properties"]["algorithm"])
    plugin = items(decision["properties"]["plugins"])
    plugin_types: dict[str, list[str]] = {}
    for rule in plugin.get("allOf", []):
        kind = rule["if"]["properties"]["type"]["const"]
        config = rule["then"]["properties"]["configuration"]
        plugin_types[kind] = fields(config)
    projections = res(routing["projections"])["properties"]
    contract = {
        "vllm_sr_version": metadata.version("vllm-sr"),
        "top_level": sorted(top),
        "routing": sorted(routing),
        "decision": fields(decision),
        "rule_node": fields(decision["properties"]["rules"]),
        "model_ref": fields(items(decision["properties"]["modelRefs"])),
        "algorithm": fields(algorithm),
        "algorithm_blocks": {k: fields(v) for k, v in algorithm["properties"].items() if "properties" in res(v)},
        "plugin_types": plugin_types,
        "providers": sorted(providers),
        "provider_defaults": fields(providers["defaults"]),
        "provider_model": fields(model),
        "pricing": fields(model["properties"]["pricing"]),
        "backend_ref": fields(items(model["properties"]["backend_refs"])),
        "model_card": fields(items(routing["modelCards"])),
        "signals": {k: fields(items(v)) for k, v in signals.items()},
        "projections": {k: fields(items(v)) for k, v in projections.items()},
    }
    OUT.write_text(json.dumps(contract, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
