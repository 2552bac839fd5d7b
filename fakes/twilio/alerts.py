"""What Twilio's debugger would say about the app's answers to its webhooks (the Monitor "Alerts" list).

Twilio logs an alert, and the business sees it in its console, when a webhook it posts is answered badly:

* 11200 "HTTP retrieval failure": no answer, or a status outside 2xx. For a status callback Twilio may retry;
  for an incoming text or call the customer gets nothing.
* 12300 "Invalid Content-Type": the answer to an incoming text or call (its SmsUrl / VoiceUrl, whose answer
  Twilio runs as TwiML) is not declared as XML (``text/xml`` or ``application/xml``).
* 12100 "Document parse failure": that answer is not well-formed XML, or its root is not ``<Response>``.

Status callbacks (delivery status, brand status, a call's StatusCallback) are not read as TwiML: only 11200
applies to them. Alerts are derived from the journal of deliveries, so they cover every copy and redelivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from defusedxml.ElementTree import ParseError, fromstring

TWIML_CONTENT_TYPES = ("text/xml", "application/xml")


def _twiml_problem(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    content_type = str(entry.get("response_content_type") or "").split(";")[0].strip().lower()
    if content_type not in TWIML_CONTENT_TYPES:
        return "12300", f"Invalid Content-Type {content_type or '(none)'!r}: TwiML must be text/xml or application/xml"
    try:
        root = fromstring(entry.get("response_body") or "")
    except ParseError as exc:
        return "12100", f"Document parse failure: {exc}"
    if root.tag != "Response":
        return "12100", f"Document parse failure: the root element is <{root.tag}>, not <Response>"
    return None


def alerts(entries: Iterable[Mapping[str, Any]], *, twiml_urls: set[str]) -> list[dict[str, Any]]:
    """The alerts of these journal entries (outbound ones only), oldest first.

    ``twiml_urls``: the SmsUrl / VoiceUrl of the fake's numbers, whose answers Twilio runs as TwiML."""
    found: list[dict[str, Any]] = []
    for entry in entries:
        if entry.get("direction") != "outbound" or entry.get("finished_at") is None:
            continue
        status = entry.get("status")
        problem: tuple[str, str] | None
        if entry.get("error") or not isinstance(status, int) or not 200 <= status < 300:
            problem = "11200", f"HTTP retrieval failure: {entry.get('error') or f'the answer was {status}'}"
        elif entry.get("url") in twiml_urls and entry.get("kind") in ("inbound-sms", "voice-status"):
            problem = _twiml_problem(entry)
        else:
            problem = None
        if problem is None:
            continue
        form = entry.get("form") or {}
        found.append({
            "error_code": problem[0],
            "log_level": "error",
            "alert_text": problem[1],
            "request_method": entry.get("method"),
            "request_url": entry.get("url"),
            "request_variables": form,
            "resource_sid": form.get("MessageSid") or form.get("CallSid") or form.get("BrandRegistrationSid"),
            "response_body": entry.get("response_body", ""),
            "date_created": entry.get("started_at"),
            "delivery_id": entry.get("delivery_id"),
        })
    return found
