"""The assistant: decides the automatic reply to a customer's text.

It is deterministic and rule-based, and callers only ever use `respond()`, so an LLM could replace the
rules later without changing them.

Skills: how other domains teach the assistant
=============================================

A skill is a plain callable::

    def skill(db: Session, tenant: Tenant, conversation: ConversationInfo, text: str,
              settings: Settings) -> Reply | str | None

registered once at import time (import the module from app/handlers.py so every worker has it)::

    from app.conversations import assistant

    @assistant.skill("booking", order=100)
    def booking_skill(db, tenant, conversation, text, settings):
        if not looks_like_a_job(text):
            return None                    # "not mine": the next skill is tried
        return assistant.Reply("Drain cleaning is $120. Reply 1, 2 or 3 to pick a time: ...")

Contract:

- Skills run only while the conversation's state is "open" (the assistant is answering), in
  ascending `order` (ties: registration order). The first skill returning a reply wins. Returning a
  plain `str` is the same as `Reply(body=that)`; None (or an empty body) means "not mine".
- `text` is the customer's message with surrounding whitespace removed (case kept). `conversation`
  is a read-only snapshot (`ConversationInfo`); `tenant` is the tenant row (read it, don't change it;
  its clock is `tenancy.service.now(tenant=tenant)`). `settings` are the settings of the app (or
  worker) answering: read configuration such as `public_base_url` from them, never from the
  process-wide `get_settings()`, so an app built with its own settings (tests) gets its own links.
- `db` is the outbox worker's session. A skill's writes commit together with the reply, and roll back
  with it. Each skill runs inside a SAVEPOINT: a skill that raises is logged and skipped, its writes
  undone, and the next skill is tried, so one broken skill cannot silence the assistant.
- A skill never sends anything itself: it returns the text and the assistant queues it through
  `conversations.service.queue_outbound` (compliance gate, opt-out, retries and delivery tracking).
  Other texts (e.g. a booking confirmation later) go through `queue_outbound` directly.
- Delivery is at least once: the reply to one inbound message is stored once (deduplicated), but a
  skill may exceptionally run twice for the same message, so its own writes should tolerate that.
- `Reply(body, needs_human=True, reason="...")` also flags the conversation for a person (shown in
  the inbox); use it when the skill answered but a human should look (e.g. a job it cannot price).

Built-ins, around the registry (not entries in it):

1. compliance keywords come first, in every state: STOP and its synonyms were already applied when
   the text arrived (opt-out ledger, conversation blocked) and get no reply (the carrier confirms);
   START / UNSTOP (and YES while opted out) re-subscribe and get a confirmation; HELP / INFO get the
   help reply;
2. registered skills, while the state is "open";
3. the fallback: a polite hand-off and the conversation flagged for a human. While a conversation is
   already flagged, the hand-off is not repeated (the customer already knows a person will answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from app.compliance.keywords import Keyword
from app.conversations import message_templates
from app.settings import Settings
from app.tenancy.models import Tenant

log = logging.getLogger("app.conversations.assistant")


@dataclass(frozen=True)
class ConversationInfo:
    """What a skill may know about the conversation (a snapshot, not the row)."""

    id: str
    tenant_id: str
    customer_phone: str
    business_phone: str
    state: str
    needs_attention: bool = False


@dataclass(frozen=True)
class Reply:
    """The assistant's answer: `body` is texted to the customer (nothing when empty)."""

    body: str
    needs_human: bool = False
    reason: str | None = None  # why a human should look; shown in the inbox
    skill: str = ""  # which skill answered (filled in by the assistant)


Skill = Callable[[Session, Tenant, ConversationInfo, str, Settings], "Reply | str | None"]


@dataclass(frozen=True)
class RegisteredSkill:
    name: str
    order: int
    fn: Skill
    sequence: int


_skills: dict[str, RegisteredSkill] = {}
_sequence = 0


def register_skill(name: str, fn: Skill, *, order: int = 100) -> Skill:
    """Adds (or replaces, by name) a skill; lower `order` is tried first."""
    global _sequence
    _sequence += 1
    _skills[name] = RegisteredSkill(name=name, order=order, fn=fn, sequence=_sequence)
    return fn


def unregister_skill(name: str) -> None:
    """Removes a skill (tests use this to clean up)."""
    _skills.pop(name, None)


def skill(name: str, *, order: int = 100) -> Callable[[Skill], Skill]:
    """Decorator form of `register_skill`."""

    def decorate(fn: Skill) -> Skill:
        return register_skill(name, fn, order=order)

    return decorate


def skills() -> list[RegisteredSkill]:
    """The registered skills in the order they are tried."""
    return sorted(_skills.values(), key=lambda s: (s.order, s.sequence))


def respond(
    *,
    db: Session,
    tenant: Tenant,
    conversation: ConversationInfo,
    text: str,
    keyword: Keyword | None,
    settings: Settings,
) -> Reply | None:
    """The reply to one inbound text, or None when the assistant must stay silent.

    `settings` (the app's: the outbox handler has them as `ctx.services.settings`) are handed to every
    skill, so a skill builds links from this app's public URL, not the process environment's.
    """
    variables = {"business_name": tenant.name, "business_phone": conversation.business_phone}
    if keyword == Keyword.STOP:
        return None
    if conversation.state == "blocked":
        return None  # opted out: not even HELP may be answered
    if keyword == Keyword.START:
        return Reply(message_templates.render("resubscribed", **variables), skill="opt-in")
    if keyword == Keyword.HELP:
        return Reply(message_templates.render("help", **variables), skill="help")
    if conversation.state != "open":
        return None  # a person is answering (or the thread is closed)
    stripped = text.strip()
    for registered in skills():
        reply = _try_skill(db, tenant, conversation, stripped, settings, registered)
        if reply is not None:
            return reply
    return _fallback(conversation, stripped, variables)


def _try_skill(
    db: Session, tenant: Tenant, conversation: ConversationInfo, text: str, settings: Settings,
    registered: RegisteredSkill,
) -> Reply | None:
    savepoint = db.begin_nested()
    try:
        result = registered.fn(db, tenant, conversation, text, settings)
    except Exception:
        savepoint.rollback()
        log.exception("assistant skill %r failed; trying the next one", registered.name,
                      extra={"tenant_id": tenant.id, "conversation_id": conversation.id})
        return None
    savepoint.commit()
    if result is None:
        return None
    reply = Reply(result) if isinstance(result, str) else result
    if not reply.body.strip():
        return None
    return replace(reply, skill=registered.name)


def _fallback(conversation: ConversationInfo, text: str, variables: dict[str, str]) -> Reply:
    preview = text if len(text) <= 80 else text[:79] + "…"
    reason = f"The assistant couldn't answer: “{preview}”"
    if conversation.needs_attention:
        return Reply("", needs_human=True, reason=reason, skill="fallback")
    return Reply(message_templates.render("handoff", **variables), needs_human=True, reason=reason, skill="fallback")
