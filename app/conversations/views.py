"""Pages: the inbox and a conversation (thread, take over / return to assistant, composer).

Forms post and redirect back (post-redirect-get); the thread and the inbox refresh themselves through
a little script (static/messaging.js) polling the JSON API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.conversations import presenters
from app.conversations import service as conversations_service
from app.deps import CurrentAuth, DbSession
from app.errors import AppError
from app.ui import nav
from app.ui.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
nav.register("Inbox", "/inbox", order=10)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    conversations = conversations_service.list_conversations(db=db, tenant=auth.tenant)
    listing = presenters.conversation_list(conversations, tenant=auth.tenant, db=db)
    db.commit()  # auto-close may have closed idle conversations
    return render(request, "inbox.html", {"conversations": listing.conversations})


def _conversation_page(
    request: Request, db: DbSession, auth: CurrentAuth, conversation_id: str, *,
    error: str = "", draft: str = "", status_code: int = 200,
) -> Response:
    conversation = conversations_service.current_conversation(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    detail = presenters.conversation_detail(conversation, tenant=auth.tenant, db=db)
    db.commit()
    context = {"conversation": detail, "error": error, "draft": draft}
    return render(request, "conversations/detail.html", context, status_code=status_code)


@router.get("/conversations/{conversation_id}")
def conversation_page(conversation_id: str, request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    return _conversation_page(request, db, auth, conversation_id)


@router.post("/conversations/{conversation_id}/takeover")
def take_over(conversation_id: str, request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    try:
        conversations_service.take_over(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _conversation_page(request, db, auth, conversation_id, error=exc.detail, status_code=exc.status_code)
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)


@router.post("/conversations/{conversation_id}/release")
def return_to_assistant(conversation_id: str, request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    try:
        conversations_service.return_to_assistant(db=db, tenant=auth.tenant, conversation_id=conversation_id)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _conversation_page(request, db, auth, conversation_id, error=exc.detail, status_code=exc.status_code)
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)


@router.post("/conversations/{conversation_id}/messages")
def send_message(
    conversation_id: str,
    request: Request,
    db: DbSession,
    auth: CurrentAuth,
    body: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        conversations_service.send_as_user(db=db, tenant=auth.tenant, conversation_id=conversation_id, body=body,
                                           user_name=auth.user.name)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _conversation_page(request, db, auth, conversation_id, error=exc.detail, draft=body,
                                  status_code=exc.status_code)
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}#composer", status_code=303)
