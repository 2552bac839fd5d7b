"""Reporting's own event.

ResponseSignalRecorded, schema_version 1: {"conversation_id": str, "kind": "trigger" | "response"}
    A signal was stored for the conversation; the handler recomputes its waits and the daily rollups of
    the days they touch. Recomputing from committed signals in the worker keeps a webhook's transaction
    free of reporting work and makes arrival order irrelevant.
"""

from __future__ import annotations

RESPONSE_SIGNAL_RECORDED = "ResponseSignalRecorded"
SCHEMA_VERSION = 1
