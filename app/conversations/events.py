"""Events of the conversations domain (all schema_version 1). Handlers live in app/conversations/handlers.py.

MissedCallDetected   {"conversation_id", "call_sid", "call_status", "customer_phone", "business_phone", "at"}
    A call to the tenant's number was missed; the handler queues the first text (when the assistant
    is answering the conversation).
InboundMessageReceived {"conversation_id", "message_id", "keyword": "STOP" | "START" | "HELP" | None}
    A customer texted; opt-out words were already applied. The handler asks the assistant for a reply.
OutboundMessageQueued  {"message_id", "conversation_id"}
    An outbound row is ready to go; the handler sends it through the provider (exactly once).
"""

from __future__ import annotations

MISSED_CALL_DETECTED = "MissedCallDetected"
INBOUND_MESSAGE_RECEIVED = "InboundMessageReceived"
OUTBOUND_MESSAGE_QUEUED = "OutboundMessageQueued"
SCHEMA_VERSION = 1
