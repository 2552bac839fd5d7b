"""Does a body (or webhook form) from the Twilio fake match what Twilio publishes for it?

Response bodies are validated against the response schema of the operation in Twilio's own OpenAPI
documents (``specs/twilio_*.subset.json``), with ``openapi-schema-validator``'s OpenAPI 3.0
validator (``nullable``, ``enum``, ``pattern``, formats). Two tightenings, both Twilio's behaviour:

* every property a schema lists is required: Twilio marks almost none ``required`` but returns every
  listed property on these resources (``null`` where unset, which ``nullable`` allows);
* ``date-time-rfc-2822`` (the 2010 API's dates) and ``phone-number`` are checked formats.

And one allowance: where Twilio's own examples in the same document contradict its schema, the
example wins for that property and value (the IncomingPhoneNumber fetch, update and list examples
show ``sms_application_sid: ""``, which the ``^AP...$`` pattern refuses; the live API sends ``""``).

Webhook forms and error bodies have no OpenAPI description; ``specs/twilio_webhooks.json`` and
``specs/twilio_error.json`` transcribe Twilio's documentation pages as JSON Schemas whose enums point
at the OpenAPI component schemas.
"""

from __future__ import annotations

import copy
import json
import re
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPECS = Path(__file__).parent / "specs"
API_2010 = "twilio_api_v2010.subset.json"
MESSAGING_V1 = "twilio_messaging_v1.subset.json"
E164 = re.compile(r"\+[1-9]\d{1,14}")


def _format_checker() -> FormatChecker:
    checker = copy.deepcopy(oas30_format_checker)

    @checker.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
    def rfc2822(value: object) -> bool:
        return not isinstance(value, str) or parsedate_to_datetime(value).tzinfo is not None

    @checker.checks("phone-number")
    def phone_number(value: object) -> bool:
        return not isinstance(value, str) or E164.fullmatch(value) is not None

    return checker


FORMATS = _format_checker()


def _every_property_required(node: Any) -> Any:
    """A copy of ``node`` in which every object schema with ``properties`` requires all of them."""
    if isinstance(node, list):
        return [_every_property_required(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _every_property_required(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict) and node["properties"]:
        result["required"] = sorted(node["properties"])
    return result


@cache
def document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _every_property_required(json.loads((SPECS / name).read_text()))
    return loaded


@cache
def _all_components() -> dict[str, Any]:
    return {**document(API_2010)["components"]["schemas"], **document(MESSAGING_V1)["components"]["schemas"]}


@cache
def _example_values(doc: str) -> frozenset[tuple[str, str]]:
    """(property, JSON value) pairs the document's response examples show, at any depth."""
    found: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.add((str(key), json.dumps(value)))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for operations in document(doc)["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values() if isinstance(operation, dict) else ():
                for example in response.get("content", {}).get("application/json", {}).get("examples", {}).values():
                    walk(example.get("value"))
    return frozenset(found)


def _problems(
    instance: Any, schema: dict[str, Any], components: dict[str, Any], where: str, shown: frozenset = frozenset()
) -> list[str]:
    # Local "#/components/schemas/..." references resolve against the schema's own root, so the
    # component schemas ride along under the key "components" (ignored as an unknown keyword).
    rooted = {**schema, "components": {"schemas": components}}
    validator = OAS30Validator(rooted, format_checker=FORMATS)
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        if path and (str(path[-1]), json.dumps(error.instance)) in shown:
            continue  # Twilio's own example for this operation shows this very value
        problems.append(f"{where}{''.join(f'[{p!r}]' for p in path)}: {error.message}")
    return problems


def response_problems(doc: str, path: str, method: str, status: int, body: Any) -> list[str]:
    """``body`` against the schema Twilio publishes for ``method path`` answering ``status``."""
    spec = document(doc)
    responses = spec["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"Twilio publishes no {status} answer for {method} {path}: {sorted(responses)}"
    content = responses[str(status)].get("content")
    if content is None:  # e.g. 204 No Content
        return [] if body in (None, b"", "") else [f"{method} {path}: Twilio answers {status} without a body"]
    schema = content["application/json"]["schema"]
    return _problems(body, schema, spec["components"]["schemas"], f"{method} {path} {status}", _example_values(doc))


def webhook_problems(kind: str, form: dict[str, str]) -> list[str]:
    """A webhook's form parameters against Twilio's documented parameters for ``kind``."""
    schema = json.loads((SPECS / "twilio_webhooks.json").read_text())[kind]
    return _problems(form, schema, _all_components(), f"{kind} webhook")


def error_problems(body: Any) -> list[str]:
    schema = json.loads((SPECS / "twilio_error.json").read_text())
    return _problems(body, schema, {}, "error body")
