"""Assistant skills get the answering app's settings, not the process-wide ones.

The booking skill used to build its links from `get_settings().public_base_url` (the environment), so an
app built with its own settings (every test app, a second app in one process) texted someone else's URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.conversations import assistant
from app.conversations import service as conversations_service
from app.db import Database
from app.settings import Settings, get_settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

CUSTOMER = "+15550100999"
EVERY_DAY = {day: ["08:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CATALOG = [{"name": "Leak repair", "aliases": ["leak", "leaking"], "price_cents": 14900, "duration_minutes": 60}]


@pytest.fixture
def shop(make_tenant: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_tenant(catalog=CATALOG, business_hours=EVERY_DAY)


def _conversation(db: Session, shop: dict[str, Any]) -> tuple[Tenant, assistant.ConversationInfo]:
    tenant = tenancy_service.get(db=db, tenant_id=shop["id"])
    inbound = conversations_service.record_inbound_message(
        db=db, tenant=tenant, customer_phone=CUSTOMER, business_phone=shop["phone_number"], body="hello",
        provider_sid=f"SM{uuid.uuid4().hex}")
    conversation = conversations_service.get_conversation(db=db, tenant_id=tenant.id,
                                                          conversation_id=inbound.conversation_id)
    return tenant, conversations_service.conversation_info(conversation)


def test_the_booking_link_uses_the_settings_handed_to_the_assistant(
    shop: dict[str, Any], database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = settings.model_copy(update={"public_base_url": "https://own-app.example/"})
    monkeypatch.setenv("APP_ENV", "dev")  # the process-wide settings are production (dev key refused) otherwise
    get_settings.cache_clear()
    assert get_settings().public_base_url != own.public_base_url.rstrip("/")
    with database.session() as db:
        tenant, info = _conversation(db, shop)
        reply = assistant.respond(db=db, tenant=tenant, conversation=info, text="my sink is leaking", keyword=None,
                                  settings=own)
    assert reply is not None and reply.skill == "booking"
    assert "https://own-app.example/book/" in reply.body, reply.body
    get_settings.cache_clear()  # the next reader gets the process's real environment again


@pytest.fixture
def spy_skill() -> Iterator[list[Settings]]:
    """A skill ahead of every other one that records the settings it was given (and answers nothing)."""
    received: list[Settings] = []

    def spy(db: Session, tenant: Tenant, conversation: assistant.ConversationInfo, text: str,
            settings: Settings) -> None:
        received.append(settings)

    assistant.register_skill("test-settings-spy", spy, order=-1000)
    yield received
    assistant.unregister_skill("test-settings-spy")


def test_every_skill_receives_exactly_the_settings_given(
    shop: dict[str, Any], database: Database, settings: Settings, spy_skill: list[Settings],
) -> None:
    own = settings.model_copy(update={"public_base_url": "https://another.example"})
    with database.session() as db:
        tenant, info = _conversation(db, shop)
        assistant.respond(db=db, tenant=tenant, conversation=info, text="anything", keyword=None, settings=own)
    assert spy_skill == [own] and spy_skill[0] is own
