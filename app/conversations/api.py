"""JSON API for conversations: list, detail, messages, send, take over, return to the assistant."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api_errors import error_responses
from app.conversations import presenters
from app.conversations import service as conversations_service
from app.deps import CurrentAuth, DbSession

router = APIRouter(prefix="/api/v1", tags=["conversations"])


class SendMessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=conversations_service.MAX_BODY_CHARS)


@router.get("/conversations", response_model=presenters.ConversationList, responses=error_responses(401, 403, 422))
def list_conversations(
    db: DbSession,
    auth: CurrentAuth,
    state: Literal["open", "human", "blocked", "closed"] | None = None,
    needs_attention: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> presenters.ConversationList:
    """The tenant's conversations, most recently active first."""
    conversations = conversations_service.list_conversations(db=db, tenant=auth.tenant, state=state,
                                                             needs_attention=needs_attention, limit=limit)
    result = presenters.conversation_list(conversations, tenant=auth.tenant, db=db)
    db.commit()  # auto-close may have closed idle conversations
    return result


@router.get("/conversations/{conversation_id}", response_model=presenters.ConversationDetail,
            responses=error_responses(401, 403, 404))
def get_conversation(conversation_id: str, db: DbSession, auth: CurrentAuth) -> presenters.ConversationDetail:
    """One conversation with its thread and whether a person may text now (and why not)."""
    conversation = conversations_service.current_conversation(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    result = presenters.conversation_detail(conversation, tenant=auth.tenant, db=db)
    db.commit()
    return result


@router.get("/conversations/{conversation_id}/messages", response_model=presenters.MessageList,
            responses=error_responses(401, 403, 404))
def list_messages(conversation_id: str, db: DbSession, auth: CurrentAuth) -> presenters.MessageList:
    """The thread, oldest first."""
    messages = conversations_service.messages_of(db=db, tenant_id=auth.tenant.id, conversation_id=conversation_id)
    return presenters.MessageList(messages=[presenters.message_out(m, tenant=auth.tenant) for m in messages])


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=presenters.MessageOut,
             responses=error_responses(401, 403, 404, 409, 422))
def send_message(
    conversation_id: str, body: SendMessageRequest, db: DbSession, auth: CurrentAuth
) -> presenters.MessageOut:
    """A person's text to the customer (takes the conversation over). 403 with the reason when texting is not
    allowed: `compliance_pending` / `compliance_required` / `compliance_rejected` / `opted_out`."""
    message = conversations_service.send_as_user(db=db, tenant=auth.tenant, conversation_id=conversation_id,
                                                 body=body.body, user_name=auth.user.name)
    db.commit()
    return presenters.message_out(message, tenant=auth.tenant)


@router.post("/conversations/{conversation_id}/takeover", response_model=presenters.ConversationOut,
             responses=error_responses(401, 403, 404, 409))
def take_over(conversation_id: str, db: DbSession, auth: CurrentAuth) -> presenters.ConversationOut:
    """A person answers from now on; the assistant stays silent (409 for a blocked or closed conversation)."""
    conversation = conversations_service.take_over(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    db.commit()
    return presenters.conversation_out(conversation, tenant=auth.tenant, last=None)


@router.post("/conversations/{conversation_id}/release", response_model=presenters.ConversationOut,
             responses=error_responses(401, 403, 404, 409))
def return_to_assistant(conversation_id: str, db: DbSession, auth: CurrentAuth) -> presenters.ConversationOut:
    """The assistant answers again from the next text on."""
    conversation = conversations_service.return_to_assistant(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    db.commit()
    return presenters.conversation_out(conversation, tenant=auth.tenant, last=None)
