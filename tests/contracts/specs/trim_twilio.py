"""Cut Twilio's OpenAPI documents down to the paths the Twilio fake serves (and what they reference).

Twilio's ``twilio_api_v2010.json`` is ~1.8 MB for 120 paths; the fake serves four of them. The subset
keeps those paths and every component schema they reference (transitively), plus the few enums the
webhook descriptions (``twilio_webhooks.json``) point at, unchanged. Rerun after updating the sources:

    python tests/contracts/specs/trim_twilio.py /path/to/twilio-oai/spec/json

which rewrites ``twilio_api_v2010.subset.json`` and ``twilio_messaging_v1.subset.json`` here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

#: document -> (paths the fake serves, component schemas kept although no served path names them)
SERVED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "twilio_api_v2010.json": (
        (
            "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
        ),
        ("call_enum_status",),  # CallStatus of the voice status callback
    ),
    "twilio_messaging_v1.json": (
        ("/v1/a2p/BrandRegistrations", "/v1/a2p/BrandRegistrations/{Sid}"),
        (),
    ),
}

REF_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][len(REF_PREFIX) :]} if str(node.get("$ref", "")).startswith(REF_PREFIX) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def subset(document: dict[str, Any], paths: tuple[str, ...], extra_schemas: tuple[str, ...]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    kept_paths = {path: document["paths"][path] for path in paths}
    wanted, kept = _refs(kept_paths) | set(extra_schemas), {}
    while wanted:
        name = wanted.pop()
        if name not in kept:
            kept[name] = schemas[name]
            wanted |= _refs(schemas[name])
    return {
        "openapi": document["openapi"],
        "info": document["info"],
        "x-subset-of": "the Twilio OpenAPI document of the same name; see README.md",
        "servers": document.get("servers", []),
        "paths": kept_paths,
        "components": {"schemas": dict(sorted(kept.items()))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder holding twilio_api_v2010.json and twilio_messaging_v1.json")
    args = parser.parse_args()
    for name, (paths, extra) in SERVED.items():
        document = json.loads((args.source_dir / name).read_text())
        target = HERE / name.replace(".json", ".subset.json")
        target.write_text(json.dumps(subset(document, paths, extra), indent=1, sort_keys=False) + "\n")
        print(f"{target.name}: {len(paths)} paths")


if __name__ == "__main__":
    main()
