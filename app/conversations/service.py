"""Conversations: calls and texts coming in, the thread, takeover, and every outbound text.

Other domains use:
- `queue_outbound(db=, tenant_id=, conversation_id=, body=, author=)` to text a customer (e.g. a booking
  confirmation). It writes the message row and, when it may go now, an OutboundMessageQueued event; the
  outbox worker sends it. Compliance and opt-out are respected: for automatic authors ("assistant",
  "system") a text that may not go now is kept as `held` (registration pending; sent on approval if
  younger than 24 h) or `blocked` (customer opted out); for "human" it is refused with a 403.
- `live_conversation(...)` / `get_conversation(...)` / `conversation_info(...)` to find a thread.

Times in this domain come from the tenant clock (`tenancy.service.now`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.compliance import service as compliance_service
from app.compliance.keywords import Keyword, classify
from app.conversations import assistant, events, message_templates
from app.conversations.models import Conversation, Message
from app.conversations.states import AUTO_CLOSE_AFTER, State, Trigger, next_state
from app.db import upsert_insert
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.outbox import service as outbox_service
from app.reporting import service as reporting_service
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

log = logging.getLogger("app.conversations")

MAX_BODY_CHARS = 1600  # Twilio's limit for one message body
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
HELD_MESSAGE_MAX_AGE = timedelta(hours=24)
AUTOMATIC_AUTHORS = ("assistant", "system")
AUTHORS = (*AUTOMATIC_AUTHORS, "human")

# Outbound delivery: the status only moves forward; these end it.
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "delivered": 3}
TERMINAL_STATUSES = frozenset({"delivered", "failed", "undelivered"})
DELIVERY_ERRORS = {
    "21610": "the customer has opted out of texts from this number",
    "30003": "the customer's phone is unreachable",
    "30004": "the message was blocked by the customer's carrier",
    "30005": "the number does not exist",
    "30006": "the number is a landline or cannot receive texts",
    "30007": "the carrier filtered the message as spam",
    "30008": "the carrier reported an unknown error",
}


# --- reading ------------------------------------------------------------------------------------------
def get_conversation(*, db: Session, tenant_id: str, conversation_id: str) -> Conversation:
    """A conversation of this tenant; anyone else's (or none, or a malformed id) is a 404."""
    if not ID_PATTERN.fullmatch(conversation_id or ""):
        raise NotFound("conversation not found")
    conversation = db.get(Conversation, conversation_id)
    if conversation is None or conversation.tenant_id != tenant_id:
        raise NotFound("conversation not found")
    return conversation


def list_conversations(
    *, db: Session, tenant: Tenant, state: str | None = None, needs_attention: bool | None = None, limit: int = 200
) -> list[Conversation]:
    """The tenant's conversations, most recently active first (inactive ones are closed first)."""
    close_inactive(db=db, tenant=tenant)
    query = select(Conversation).where(Conversation.tenant_id == tenant.id)
    if state:
        query = query.where(Conversation.state == state)
    if needs_attention is not None:
        query = query.where(Conversation.needs_attention.is_(needs_attention))
    return list(db.scalars(query.order_by(Conversation.last_activity_at.desc(), Conversation.id).limit(limit)))


def messages_of(*, db: Session, tenant_id: str, conversation_id: str) -> list[Message]:
    """The thread, oldest first."""
    get_conversation(db=db, tenant_id=tenant_id, conversation_id=conversation_id)
    query = select(Message).where(Message.tenant_id == tenant_id, Message.conversation_id == conversation_id)
    return list(db.scalars(query.order_by(Message.created_at, Message.id)))


def last_messages(*, db: Session, tenant_id: str, conversation_ids: list[str]) -> dict[str, Message]:
    """The newest message of each conversation (inbox previews)."""
    if not conversation_ids:
        return {}
    newest = (
        select(Message.conversation_id, func.max(Message.created_at).label("at"))
        .where(Message.tenant_id == tenant_id, Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = db.scalars(
        select(Message).join(newest, (Message.conversation_id == newest.c.conversation_id)
                             & (Message.created_at == newest.c.at)).order_by(Message.id)
    )
    return {m.conversation_id: m for m in rows}


def count_needing_attention(*, db: Session, tenant_id: str) -> int:
    """Conversations flagged for a person right now: idle ones are closed first (as the inbox does), so a
    conversation that waited for days and is closed is not counted as still waiting."""
    close_inactive(db=db, tenant=tenancy_service.get(db=db, tenant_id=tenant_id))
    query = select(func.count()).select_from(Conversation).where(
        Conversation.tenant_id == tenant_id, Conversation.needs_attention.is_(True), Conversation.state != State.CLOSED
    )
    return int(db.scalar(query) or 0)


def live_conversation(*, db: Session, tenant_id: str, customer_phone: str, business_phone: str) -> Conversation | None:
    """The conversation that is not closed between these two numbers, if any."""
    return db.scalar(select(Conversation).where(Conversation.tenant_id == tenant_id,
                                                Conversation.live_key == _live_key(business_phone, customer_phone)))


def conversation_info(conversation: Conversation) -> assistant.ConversationInfo:
    """The read-only snapshot other domains (assistant skills) get."""
    return assistant.ConversationInfo(
        id=conversation.id, tenant_id=conversation.tenant_id, customer_phone=conversation.customer_phone,
        business_phone=conversation.business_phone, state=conversation.state,
        needs_attention=conversation.needs_attention,
    )


def _live_key(business_phone: str, customer_phone: str) -> str:
    return f"{business_phone}|{customer_phone}"


# --- state changes ------------------------------------------------------------------------------------
def _apply(conversation: Conversation, trigger: Trigger, now: datetime) -> bool:
    """The one place a conversation's state changes; returns whether it did."""
    target = next_state(conversation.state, trigger)
    if target == conversation.state:
        return False
    log.info("conversation %s: %s -> %s (%s)", conversation.id, conversation.state, target.value, trigger.value,
             extra={"tenant_id": conversation.tenant_id, "conversation_id": conversation.id})
    conversation.state = target.value
    conversation.updated_at = now
    if target == State.CLOSED:
        conversation.live_key = None
        conversation.closed_at = now
    return True


def take_over(*, db: Session, tenant: Tenant, conversation_id: str) -> Conversation:
    """A person answers from now on; the assistant stays silent."""
    conversation = _current(db=db, tenant=tenant, conversation_id=conversation_id)
    now = tenancy_service.now(tenant=tenant)
    _apply(conversation, Trigger.TAKE_OVER, now)
    _clear_attention(conversation)
    db.flush()
    return conversation


def return_to_assistant(*, db: Session, tenant: Tenant, conversation_id: str) -> Conversation:
    """The assistant answers again from the next text on."""
    conversation = _current(db=db, tenant=tenant, conversation_id=conversation_id)
    now = tenancy_service.now(tenant=tenant)
    _apply(conversation, Trigger.RETURN_TO_ASSISTANT, now)
    _clear_attention(conversation)
    db.flush()
    return conversation


def close_inactive(*, db: Session, tenant: Tenant) -> int:
    """Closes the tenant's open/human conversations idle for AUTO_CLOSE_AFTER (tenant clock); returns how many."""
    now = tenancy_service.now(tenant=tenant)
    stale = db.scalars(select(Conversation).where(
        Conversation.tenant_id == tenant.id,
        Conversation.state.in_([State.OPEN.value, State.HUMAN.value]),
        Conversation.last_activity_at < now - AUTO_CLOSE_AFTER,
    ))
    closed = 0
    for conversation in stale:
        closed += int(_apply(conversation, Trigger.AUTO_CLOSE, now))
    if closed:
        db.flush()
    return closed


def _current(*, db: Session, tenant: Tenant, conversation_id: str) -> Conversation:
    """The conversation, closed first if it has been idle too long."""
    conversation = get_conversation(db=db, tenant_id=tenant.id, conversation_id=conversation_id)
    now = tenancy_service.now(tenant=tenant)
    if conversation.state in (State.OPEN, State.HUMAN) and conversation.last_activity_at < now - AUTO_CLOSE_AFTER:
        _apply(conversation, Trigger.AUTO_CLOSE, now)
        db.flush()
    return conversation


def current_conversation(*, db: Session, tenant: Tenant, conversation_id: str) -> Conversation:
    """Like get_conversation, but applies auto-close first (pages and the API show the real state)."""
    return _current(db=db, tenant=tenant, conversation_id=conversation_id)


def _flag(conversation: Conversation, reason: str | None) -> None:
    conversation.needs_attention = True
    conversation.attention_reason = (reason or "Needs a reply from you")[:200]


def _clear_attention(conversation: Conversation) -> None:
    conversation.needs_attention = False
    conversation.attention_reason = None


def _touch(conversation: Conversation, now: datetime) -> None:
    conversation.last_activity_at = max(conversation.last_activity_at, now)
    conversation.updated_at = now


# --- calls and texts coming in (telephony webhooks) -----------------------------------------------------
def _open_or_create(*, db: Session, tenant: Tenant, customer_phone: str, business_phone: str) -> Conversation:
    """The live conversation between the two numbers, or a new one (blocked from the start if opted out)."""
    now = tenancy_service.now(tenant=tenant)
    existing = live_conversation(db=db, tenant_id=tenant.id, customer_phone=customer_phone,
                                 business_phone=business_phone)
    if existing is not None:
        existing = _current(db=db, tenant=tenant, conversation_id=existing.id)
        if existing.state != State.CLOSED:
            return existing
    opted_out = compliance_service.is_opted_out(db=db, tenant_id=tenant.id, customer_phone=customer_phone)
    # One statement: another request may create this conversation at the same moment (concurrent
    # webhooks for one caller). The insert then waits for that transaction on the unique
    # (tenant_id, live_key) and inserts nothing if it committed, or inserts if it rolled back.
    statement = (
        upsert_insert(db, Conversation)
        .values(tenant_id=tenant.id, customer_phone=customer_phone, business_phone=business_phone,
                state=(State.BLOCKED if opted_out else State.OPEN).value,
                live_key=_live_key(business_phone, customer_phone),
                created_at=now, last_activity_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["tenant_id", "live_key"])
        .returning(Conversation)
    )
    created = db.scalars(statement).first()
    if created is not None:
        return created
    raced = live_conversation(db=db, tenant_id=tenant.id, customer_phone=customer_phone, business_phone=business_phone)
    if raced is None:  # the unique index said it exists, so only a bug in live_key could bring us here
        raise RuntimeError(f"conversation {business_phone}|{customer_phone} of tenant {tenant.id} conflicted but "
                           "is not live")
    return raced


def record_missed_call(
    *, db: Session, tenant: Tenant, customer_phone: str, business_phone: str, call_sid: str, call_status: str
) -> Conversation:
    """A missed call: its conversation, a line in the thread, a wait started, and MissedCallDetected.

    Idempotent per call: the same CallSid again (even delivered with another idempotency token) changes nothing.
    """
    line_key = f"call:{call_sid}"
    seen = db.scalar(select(Message).where(Message.tenant_id == tenant.id, Message.dedupe_key == line_key))
    if seen is not None:
        return get_conversation(db=db, tenant_id=tenant.id, conversation_id=seen.conversation_id)
    now = tenancy_service.now(tenant=tenant)
    conversation = _open_or_create(db=db, tenant=tenant, customer_phone=customer_phone, business_phone=business_phone)
    db.add(Message(
        tenant_id=tenant.id, conversation_id=conversation.id, direction="event", author="system",
        body=f"Missed call ({call_status.replace('-', ' ')})", status="logged", dedupe_key=line_key,
        created_at=now, status_changed_at=now,
    ))
    _touch(conversation, now)
    if conversation.state == State.HUMAN:
        _flag(conversation, "Missed a call while you were handling this conversation")
    reporting_service.record_trigger(db=db, tenant=tenant, conversation_id=conversation.id,
                                     source_key=f"call:{call_sid}", at=now)
    outbox_service.emit(
        db=db, event_type=events.MISSED_CALL_DETECTED, tenant_id=tenant.id, schema_version=events.SCHEMA_VERSION,
        payload={"conversation_id": conversation.id, "call_sid": call_sid, "call_status": call_status,
                 "customer_phone": customer_phone, "business_phone": business_phone, "at": now.isoformat()},
    )
    db.flush()
    return conversation


def record_inbound_message(
    *, db: Session, tenant: Tenant, customer_phone: str, business_phone: str, body: str, provider_sid: str
) -> Message:
    """A customer's text: stored, opt-out words applied at once, then InboundMessageReceived for the assistant.

    Idempotent per provider message SID: the same text delivered again returns the stored row and does nothing.
    """
    seen = db.scalar(select(Message).where(Message.provider_sid == provider_sid))
    if seen is not None:
        if seen.tenant_id != tenant.id:
            raise Conflict("message SID already belongs to another tenant", code="duplicate_message_sid")
        return seen
    now = tenancy_service.now(tenant=tenant)
    conversation = _open_or_create(db=db, tenant=tenant, customer_phone=customer_phone, business_phone=business_phone)
    opted_out = compliance_service.is_opted_out(db=db, tenant_id=tenant.id, customer_phone=customer_phone)
    keyword = classify(body, opted_out=opted_out)
    message = Message(
        tenant_id=tenant.id, conversation_id=conversation.id, direction="inbound", author="customer", body=body,
        status="received", provider_sid=provider_sid, keyword=keyword.value if keyword else None,
        created_at=now, status_changed_at=now,
    )
    db.add(message)
    db.flush()
    if keyword in (Keyword.STOP, Keyword.START):
        compliance_service.record_keyword(db=db, tenant=tenant, customer_phone=customer_phone, keyword=keyword,
                                          word=body.strip().upper()[:16], message_id=message.id)
        _apply(conversation, Trigger.OPT_OUT if keyword == Keyword.STOP else Trigger.OPT_IN, now)
        if keyword == Keyword.STOP:
            _clear_attention(conversation)
    _touch(conversation, now)
    if conversation.state == State.HUMAN and keyword is None:
        _flag(conversation, "The customer replied")
    if keyword != Keyword.STOP:  # nobody waits for an answer to STOP
        reporting_service.record_trigger(db=db, tenant=tenant, conversation_id=conversation.id,
                                         source_key=f"message:{message.id}", at=now)
    outbox_service.emit(
        db=db, event_type=events.INBOUND_MESSAGE_RECEIVED, tenant_id=tenant.id, schema_version=events.SCHEMA_VERSION,
        payload={"conversation_id": conversation.id, "message_id": message.id,
                 "keyword": keyword.value if keyword else None},
    )
    db.flush()
    return message


def apply_delivery_status(
    *, db: Session, tenant_id: str, provider_sid: str, status: str, error_code: str | None = None
) -> bool:
    """Applies a delivery status callback; the status only moves forward. Returns whether anything changed."""
    message = db.scalar(select(Message).where(Message.tenant_id == tenant_id, Message.provider_sid == provider_sid))
    if message is None:
        return False  # not adopted yet: the sender applies the stored callback when it records the SID
    status = (status or "").lower()
    current = message.status
    if current in TERMINAL_STATUSES or current not in STATUS_RANK:
        return False
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    now = tenancy_service.now(tenant=tenant)
    if status in ("failed", "undelivered"):
        message.status = status
        message.error_code = error_code
        detail = DELIVERY_ERRORS.get(error_code or "", "the carrier did not say why")
        message.status_reason = f"Not delivered: {detail}" + (f" (Twilio error {error_code})." if error_code else ".")
    elif status in STATUS_RANK and STATUS_RANK[status] > STATUS_RANK[current]:
        message.status = "queued" if status == "accepted" else status
    else:
        return False
    message.status_changed_at = now
    db.flush()
    return True


# --- texts going out ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Composer:
    """Whether a person may text in this conversation now, and if not, why (shown by the composer)."""

    can_send: bool
    code: str | None = None
    reason: str | None = None


def composer_state(*, db: Session, tenant: Tenant, conversation: Conversation) -> Composer:
    """The first reason a person cannot text here, or can_send=True."""
    if conversation.state == State.BLOCKED or compliance_service.is_opted_out(
        db=db, tenant_id=tenant.id, customer_phone=conversation.customer_phone
    ):
        return Composer(False, "opted_out",
                        "The customer opted out by texting STOP. You can't text them unless they text START.")
    gate = compliance_service.outbound_gate(tenant=tenant)
    if gate is not None:
        return Composer(False, gate.code, gate.reason)
    if conversation.state == State.CLOSED:
        return Composer(False, "conversation_closed",
                        "This conversation was closed after a day without activity. "
                        "It starts again when the customer calls or texts.")
    return Composer(True)


def _refuse(composer: Composer) -> None:
    """A person may not text now: 409 for a closed conversation, 403 (with the reason) otherwise."""
    reason = composer.reason or "You can't text this customer now."
    if composer.code == "conversation_closed":
        raise Conflict(reason, code=composer.code)
    raise Forbidden(reason, code=composer.code)


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("Write a message before sending.", code="empty_message")
    if "\x00" in text:
        raise ValidationFailed("The message contains a NUL character, which cannot be texted.", code="invalid_message")
    if len(text) > MAX_BODY_CHARS:
        raise ValidationFailed(f"A text can have at most {MAX_BODY_CHARS} characters (this one has {len(text)}).",
                               code="message_too_long")
    return text


def queue_outbound(
    *,
    db: Session,
    tenant_id: str,
    conversation_id: str,
    body: str,
    author: str,
    author_name: str | None = None,
    dedupe_key: str | None = None,
) -> Message:
    """Writes an outbound text (not committed); the outbox worker sends it. See the module docstring.

    author: "assistant" | "system" (automatic: held or blocked when it may not go) | "human" (403 instead).
    dedupe_key: makes the call idempotent: a second call with the same key returns the first message.
    """
    if author not in AUTHORS:
        raise ValidationFailed(f"author must be one of {', '.join(AUTHORS)}", code="invalid_author")
    text = _clean_body(body)
    tenant = tenancy_service.get(db=db, tenant_id=tenant_id)
    conversation = get_conversation(db=db, tenant_id=tenant_id, conversation_id=conversation_id)
    if dedupe_key:
        existing = db.scalar(select(Message).where(Message.tenant_id == tenant_id, Message.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    now = tenancy_service.now(tenant=tenant)
    composer = composer_state(db=db, tenant=tenant, conversation=conversation)
    status, reason = "queued", None
    if not composer.can_send:
        if author == "human":
            _refuse(composer)
        if composer.code == "opted_out":
            status, reason = "blocked", "Not sent: the customer opted out (STOP)."
        elif composer.code and composer.code.startswith("compliance"):
            status, reason = "held", f"Held: {composer.reason}"
        # a closed conversation does not stop automatic texts (e.g. a booking confirmation)
    message = Message(
        tenant_id=tenant_id, conversation_id=conversation.id, direction="outbound", author=author,
        author_name=author_name, body=text, status=status, status_reason=reason, dedupe_key=dedupe_key,
        created_at=now, status_changed_at=now,
    )
    db.add(message)
    _touch(conversation, now)
    db.flush()
    if status == "queued":
        _emit_queued(db=db, message=message)
    log.info("outbound text %s (%s)", status, author,
             extra={"tenant_id": tenant_id, "conversation_id": conversation.id, "message_id": message.id})
    return message


def _emit_queued(*, db: Session, message: Message) -> None:
    outbox_service.emit(
        db=db, event_type=events.OUTBOUND_MESSAGE_QUEUED, tenant_id=message.tenant_id,
        schema_version=events.SCHEMA_VERSION,
        payload={"message_id": message.id, "conversation_id": message.conversation_id},
    )


def send_as_user(*, db: Session, tenant: Tenant, conversation_id: str, body: str, user_name: str) -> Message:
    """A person's text. Sending while the assistant answers takes the conversation over (403 when it may not go)."""
    conversation = _current(db=db, tenant=tenant, conversation_id=conversation_id)
    text = _clean_body(body)
    composer = composer_state(db=db, tenant=tenant, conversation=conversation)
    if not composer.can_send:
        _refuse(composer)
    if conversation.state == State.OPEN:
        _apply(conversation, Trigger.TAKE_OVER, tenancy_service.now(tenant=tenant))
    _clear_attention(conversation)
    return queue_outbound(db=db, tenant_id=tenant.id, conversation_id=conversation.id, body=text, author="human",
                          author_name=user_name)


def release_held_messages(*, db: Session, tenant: Tenant) -> tuple[int, int]:
    """After approval: held texts younger than 24 h (tenant clock) are queued, older ones dropped with a note.

    Returns (queued, dropped). Texts to customers who opted out meanwhile become `blocked`.
    """
    if compliance_service.outbound_gate(tenant=tenant) is not None:
        return (0, 0)
    now = tenancy_service.now(tenant=tenant)
    held = db.scalars(select(Message).where(Message.tenant_id == tenant.id, Message.status == "held")
                      .order_by(Message.created_at, Message.id))
    queued = dropped = 0
    for message in held:
        conversation = get_conversation(db=db, tenant_id=tenant.id, conversation_id=message.conversation_id)
        message.status_changed_at = now
        if conversation.state == State.BLOCKED:
            message.status, message.status_reason = "blocked", "Not sent: the customer opted out (STOP)."
        elif now - message.created_at < HELD_MESSAGE_MAX_AGE:
            message.status, message.status_reason = "queued", None
            _emit_queued(db=db, message=message)
            queued += 1
        else:
            message.status = "dropped"
            message.status_reason = ("Not sent: it was held for more than 24 hours while the business registration "
                                     "was pending, so it would arrive too late.")
            dropped += 1
    db.flush()
    if queued or dropped:
        log.info("held texts released: %d queued, %d dropped", queued, dropped, extra={"tenant_id": tenant.id})
    return queued, dropped


# --- the assistant's side (outbox handlers call these) ----------------------------------------------------
def send_first_reply(*, db: Session, tenant: Tenant, conversation_id: str, call_sid: str) -> Message | None:
    """The first text after a missed call, once per call, while the assistant answers the conversation."""
    dedupe_key = f"first-reply:{call_sid}"
    existing = db.scalar(select(Message).where(Message.tenant_id == tenant.id, Message.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    conversation = get_conversation(db=db, tenant_id=tenant.id, conversation_id=conversation_id)
    if conversation.state != State.OPEN:
        log.info("no first reply: conversation is %s", conversation.state,
                 extra={"tenant_id": tenant.id, "conversation_id": conversation.id})
        return None
    body = message_templates.render("first_reply", business_name=tenant.name)
    return queue_outbound(db=db, tenant_id=tenant.id, conversation_id=conversation.id, body=body, author="assistant",
                          dedupe_key=dedupe_key)


def reply_to_inbound(*, db: Session, tenant: Tenant, message_id: str, settings: Settings) -> Message | None:
    """Asks the assistant for the reply to one inbound text and queues it (once per inbound text)."""
    dedupe_key = f"reply:{message_id}"
    existing = db.scalar(select(Message).where(Message.tenant_id == tenant.id, Message.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    inbound = db.get(Message, message_id)
    if inbound is None or inbound.tenant_id != tenant.id:
        raise NotFound("inbound message not found")
    conversation = get_conversation(db=db, tenant_id=tenant.id, conversation_id=inbound.conversation_id)
    keyword = Keyword(inbound.keyword) if inbound.keyword else None
    reply = assistant.respond(db=db, tenant=tenant, conversation=conversation_info(conversation), text=inbound.body,
                              keyword=keyword, settings=settings)
    if reply is None:
        return None
    if reply.needs_human:
        _flag(conversation, reply.reason)
    if not reply.body:
        db.flush()
        return None
    return queue_outbound(db=db, tenant_id=tenant.id, conversation_id=conversation.id, body=reply.body,
                          author="assistant", author_name=reply.skill or None, dedupe_key=dedupe_key)

