"""Reading the Twilio fake's journal and message list: per caller, when its call was reported and what it got."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fakes.twilio.client import TwilioFakeClient


@dataclass
class CallerRecord:
    """One unique caller: its missed-call webhook(s) and the texts the app sent it."""

    webhook_ts: float | None = None  # when the fake started posting the (first) voice-status webhook
    webhook_ms: float | None = None  # how long the app took to answer it
    webhook_status: int | None = None
    texts_ts: list[float] = field(default_factory=list)  # created_ts of every outbound message to this caller


def _form(entry: dict[str, Any], key: str) -> str:
    value = (entry.get("form") or {}).get(key, "")
    return str(value[0] if isinstance(value, list) and value else value)


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def callers_of(twilio: TwilioFakeClient, business_numbers: Iterable[str]) -> dict[str, CallerRecord]:
    """Every caller of the given business numbers, from the journal (webhooks) and /_fake/messages (texts)."""
    wanted = set(business_numbers)
    records: dict[str, CallerRecord] = defaultdict(CallerRecord)
    for entry in twilio.requests(direction="outbound"):
        if entry.get("kind") != "voice-status" or entry.get("copy") or entry.get("redelivery"):
            continue
        if _form(entry, "To") not in wanted:
            continue
        record = records[_form(entry, "From")]
        if record.webhook_ts is None:
            record.webhook_ts = float(entry["started_ts"])
            record.webhook_status = entry.get("status")
            if entry.get("finished_at"):
                record.webhook_ms = (_ts(entry["finished_at"]) - record.webhook_ts) * 1000
    for message in twilio.messages():
        if message.get("from") in wanted and message.get("to") in records:
            records[message["to"]].texts_ts.append(float(message["created_ts"]))
    return dict(records)


def first_sms_latencies(
    twilio: TwilioFakeClient, business_number: str, callers: list[str]
) -> tuple[list[float], list[float]]:
    """(webhook -> first text in ms, webhook answer time in ms) for the callers that got a text."""
    records = callers_of(twilio, [business_number])
    latencies: list[float] = []
    answers: list[float] = []
    for caller in callers:
        record = records.get(caller)
        if record is None or record.webhook_ts is None:
            continue
        if record.webhook_ms is not None:
            answers.append(record.webhook_ms)
        if record.texts_ts:
            latencies.append((min(record.texts_ts) - record.webhook_ts) * 1000)
    return latencies, answers
