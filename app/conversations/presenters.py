"""Turning conversation rows into the shapes the JSON API and the pages show (one place, so both agree)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from app.conversations import service as conversations_service
from app.conversations.models import Conversation, Message
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

STATE_DESCRIPTIONS = {
    "open": "The assistant is answering",
    "human": "A person is answering; the assistant is silent",
    "blocked": "The customer opted out (STOP); nothing can be sent",
    "closed": "Closed after a day without activity",
}
STATUS_LABELS = {
    "received": "", "held": "Held", "queued": "Sending…", "sending": "Sending…", "sent": "Sent",
    "delivered": "Delivered", "failed": "Failed", "undelivered": "Not delivered", "dropped": "Not sent",
    "blocked": "Not sent", "logged": "",
}
AUTHOR_LABELS = {"customer": "Customer", "assistant": "Assistant", "system": "NeverMissCall", "human": "You"}


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    direction: Literal["inbound", "outbound", "event"]
    author: Literal["customer", "assistant", "human", "system"]
    author_name: str | None = Field(description="the person who wrote it (human) or the assistant skill")
    author_label: str = Field(description="who wrote it, for display")
    body: str
    status: str = Field(description="inbound: received; outbound: held | queued | sending | sent | delivered | "
                                    "failed | undelivered | dropped | blocked; event: logged")
    status_label: str
    status_reason: str | None = Field(description="why it is held, failed, dropped or blocked")
    error_code: str | None
    keyword: Literal["STOP", "START", "HELP"] | None
    created_at: datetime = Field(description="tenant clock")
    created_at_label: str = Field(description="created_at in the tenant's time zone, for display")
    sent_at: datetime | None = Field(description="when the provider accepted it (tenant clock)")


class ComposerOut(BaseModel):
    can_send: bool
    code: str | None = Field(description="why not: opted_out | compliance_pending | compliance_required | "
                                         "compliance_rejected | conversation_closed")
    reason: str | None


class ConversationOut(BaseModel):
    id: str
    customer_phone: str
    business_phone: str
    state: Literal["open", "human", "blocked", "closed"]
    state_description: str
    needs_attention: bool
    attention_reason: str | None
    created_at: datetime
    last_activity_at: datetime
    last_activity_label: str
    closed_at: datetime | None
    last_message: MessageOut | None


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    composer: ComposerOut


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class MessageList(BaseModel):
    messages: list[MessageOut]


def time_label(moment: datetime, *, tenant: Tenant) -> str:
    """'3:04 PM' today, 'Mon 3:04 PM' this week, 'Jan 5, 3:04 PM' before (tenant's zone and clock)."""
    zone = ZoneInfo(tenant.timezone)
    local = moment.astimezone(zone)
    today = tenancy_service.now(tenant=tenant).astimezone(zone).date()
    clock = local.strftime("%I:%M %p").lstrip("0")
    days_ago = (today - local.date()).days
    if days_ago == 0:
        return clock
    if 0 < days_ago < 7:
        return f"{local.strftime('%a')} {clock}"
    return f"{local.strftime('%b')} {local.day}, {clock}"


def message_out(message: Message, *, tenant: Tenant) -> MessageOut:
    author_label = AUTHOR_LABELS.get(message.author, message.author)
    if message.author == "human" and message.author_name:
        author_label = message.author_name
    return MessageOut(
        id=message.id, conversation_id=message.conversation_id, direction=message.direction,
        author=message.author, author_name=message.author_name, author_label=author_label,
        body=message.body, status=message.status, status_label=STATUS_LABELS.get(message.status, message.status),
        status_reason=message.status_reason, error_code=message.error_code,
        keyword=message.keyword,
        created_at=message.created_at, created_at_label=time_label(message.created_at, tenant=tenant),
        sent_at=message.sent_at,
    )


def conversation_out(conversation: Conversation, *, tenant: Tenant, last: Message | None) -> ConversationOut:
    return ConversationOut(**_conversation_fields(conversation, tenant=tenant, last=last))


def _conversation_fields(conversation: Conversation, *, tenant: Tenant, last: Message | None) -> dict[str, Any]:
    return {
        "id": conversation.id, "customer_phone": conversation.customer_phone,
        "business_phone": conversation.business_phone, "state": conversation.state,
        "state_description": STATE_DESCRIPTIONS.get(conversation.state, conversation.state),
        "needs_attention": conversation.needs_attention, "attention_reason": conversation.attention_reason,
        "created_at": conversation.created_at, "last_activity_at": conversation.last_activity_at,
        "last_activity_label": time_label(conversation.last_activity_at, tenant=tenant),
        "closed_at": conversation.closed_at, "last_message": message_out(last, tenant=tenant) if last else None,
    }


def conversation_list(conversations: list[Conversation], *, tenant: Tenant, db: Any) -> ConversationList:
    last = conversations_service.last_messages(db=db, tenant_id=tenant.id, conversation_ids=[c.id for c in conversations])
    return ConversationList(conversations=[conversation_out(c, tenant=tenant, last=last.get(c.id)) for c in conversations])


def conversation_detail(conversation: Conversation, *, tenant: Tenant, db: Any) -> ConversationDetail:
    messages = conversations_service.messages_of(db=db, tenant_id=tenant.id, conversation_id=conversation.id)
    composer = conversations_service.composer_state(db=db, tenant=tenant, conversation=conversation)
    return ConversationDetail(
        **_conversation_fields(conversation, tenant=tenant, last=messages[-1] if messages else None),
        messages=[message_out(m, tenant=tenant) for m in messages],
        composer=ComposerOut(can_send=composer.can_send, code=composer.code, reason=composer.reason),
    )
