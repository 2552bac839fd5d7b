"""The assistant's booking skill: quote a described job, offer slots, hold on "1"/"2"/"3", book on "YES".

    customer: "my kitchen sink is leaking"
    reply:    "Leak repair: $149, about 1 h.
               1) Tue Jan 6, 8:00 AM
               2) Tue Jan 6, 9:00 AM
               3) Tue Jan 6, 10:00 AM
               Reply 1, 2 or 3 to hold a time, or book online: https://.../book/TOKEN"
    customer: "2"   -> "Holding Tue Jan 6, 9:00 AM for you until 8:47 AM. Reply YES to book it."
    customer: "YES" -> the booking confirmation (this reply is the confirmation SMS, so the
                       AppointmentBooked handler sends no second one)

A slot taken meanwhile or a hold that expired gets an apology and fresh offers. Texts that are none
of these and match no catalog item are "not mine" (None): the assistant hands off to a person.
The state lives on the conversation's newest booking link (offered slots, pending hold), which the
public booking page shares, so a customer can start by text and finish on the page or the reverse.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from app.booking import service as booking_service
from app.booking.models import BookingLink
from app.catalog import service as catalog_service
from app.conversations import assistant
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from app.scheduling import service as scheduling_service
from app.scheduling.models import Hold
from app.settings import Settings
from app.tenancy import service as tenancy_service
from app.tenancy.models import Tenant

SOURCE = "sms"
# "2", "#2", "2.", "option 2", "2 please"
_PICK = re.compile(r"^(?:option\s*|#\s*)?([1-9])\s*[.)!]*\s*(?:please|pls|thanks|thank you)?[.!]*$", re.IGNORECASE)
YES_WORDS = frozenset({"yes", "y", "yes please", "yep", "yeah", "confirm", "book it", "ok", "okay"})


def choices_text(count: int) -> str:
    """'1', '1 or 2', '1, 2 or 3'."""
    numbers = [str(n) for n in range(1, count + 1)]
    return numbers[0] if count == 1 else f"{', '.join(numbers[:-1])} or {numbers[-1]}"


def link_url(settings: Settings, link: BookingLink) -> str:
    """The link's public page on this app's PUBLIC_BASE_URL."""
    return booking_service.link_url(link.token, base_url=settings.public_base_url)


def offers_text(settings: Settings, tenant: Tenant, link: BookingLink, slots: list[scheduling_service.Slot]) -> str:
    """The numbered offers and the link, or a promise that a person will find a time."""
    url = link_url(settings, link)
    if not slots:
        return f"We have no free times in the next two weeks; {tenant.name} will text you to find one."
    lines = [f"{n}) {slot.label(tenant.timezone)}" for n, slot in enumerate(slots, start=1)]
    lines.append(f"Reply {choices_text(len(slots))} to hold a time, or book online: {url}")
    return "\n".join(lines)


def _fresh_offers(db: Session, settings: Settings, tenant: Tenant, link: BookingLink, opening: str) -> assistant.Reply:
    slots = booking_service.offers_for(db=db, tenant=tenant, link=link, remember=True)
    body = f"{opening}\n{offers_text(settings, tenant, link, slots)}"
    if not slots:
        return assistant.Reply(body, needs_human=True, reason=f"No free times to offer for {link.service_name}")
    return assistant.Reply(body)


def quote_job(db: Session, settings: Settings, tenant: Tenant, conversation: assistant.ConversationInfo, text: str,
              match: catalog_service.Match) -> assistant.Reply:
    """A new booking link for the best match: quote, offers and the link."""
    quote = catalog_service.quote_item(match.item)
    phone = conversation.customer_phone if tenancy_service.E164.match(conversation.customer_phone or "") else None
    link = booking_service.create_link(db=db, tenant=tenant, quote=quote, job_description=text, customer_phone=phone,
                                       conversation_id=conversation.id)
    return _fresh_offers(db, settings, tenant, link, f"{quote.summary}.")


def hold_offer(db: Session, settings: Settings, tenant: Tenant, link: BookingLink, number: int) -> assistant.Reply:
    """Holds offer `number` and asks for YES; a taken or passed slot gets fresh offers."""
    offered = link.offered_starts or []
    if not 1 <= number <= len(offered):
        if not offered:
            return _fresh_offers(db, settings, tenant, link, "Here are the next free times:")
        url = link_url(settings, link)
        return assistant.Reply(f"Please reply {choices_text(len(offered))} to pick a time, or book online: {url}")
    starts_at = datetime.fromisoformat(offered[number - 1])
    label = scheduling_service.format_local(starts_at, tenant.timezone)
    try:
        hold = booking_service.pick(db=db, tenant=tenant, link=link, starts_at=starts_at, source=SOURCE)
    except Conflict:
        return _fresh_offers(db, settings, tenant, link, f"Sorry, {label} was just taken. Here are the next free times:")
    except ValidationFailed:
        return _fresh_offers(db, settings, tenant, link,
                             f"Sorry, {label} can't be booked any more. Here are the next free times:")
    until = scheduling_service.format_local_time(hold.expires_at, tenant.timezone)
    return assistant.Reply(f"Holding {label} for you until {until}. Reply YES to book it.")


def confirm_hold(db: Session, settings: Settings, tenant: Tenant, link: BookingLink) -> assistant.Reply:
    """Books the pending hold; the reply is the confirmation. An expired hold gets fresh offers."""
    hold: Hold | None = booking_service.pending_hold(db=db, tenant=tenant, link=link)
    if hold is None:
        return _fresh_offers(db, settings, tenant, link, "Please pick a time first:")
    try:
        booking = booking_service.confirm(db=db, tenant=tenant, link=link, hold_id=hold.id, source=SOURCE)
    except (Gone, NotFound):
        label = scheduling_service.format_local(hold.starts_at, tenant.timezone)
        return _fresh_offers(db, settings, tenant, link,
                             f"Sorry, your hold on {label} expired. Here are the next free times:")
    scheduling_service.mark_confirmation_queued(db=db, appointment=booking.appointment)
    return assistant.Reply(scheduling_service.confirmation_text(appointment=booking.appointment, tenant=tenant))


@assistant.skill("booking", order=50)
def booking_skill(
    db: Session, tenant: Tenant, conversation: assistant.ConversationInfo, text: str, settings: Settings
) -> assistant.Reply | None:
    """The booking dialogue (see the module doc); None when the text is not about booking."""
    link = booking_service.active_link_for_conversation(db=db, tenant=tenant, conversation_id=conversation.id)
    if link is not None:
        pick = _PICK.match(text.strip())
        if pick:
            return hold_offer(db, settings, tenant, link, int(pick.group(1)))
        if catalog_service.words(text) in YES_WORDS:
            return confirm_hold(db, settings, tenant, link)
    matches = catalog_service.match(db=db, tenant_id=tenant.id, description=text)
    if matches:
        return quote_job(db, settings, tenant, conversation, text, matches[0])
    return None
