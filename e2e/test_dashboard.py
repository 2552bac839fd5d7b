"""[dashboard] First-response figures as the owner reads them: how long missed callers waited for the first
text, as p50/p95 over the week and per tenant-local day.

The waits are made on the tenant clock: the business's registration is pending, so each caller's first
reply is held; the clock moves on between the calls; approval then sends all three at once. The callers
have waited about 60, 6 and 1 minutes (plus the few real seconds the test takes); the first one's text
while waiting is part of the same wait. Six days later they are still in the 7-day figures (their day is
the oldest of the 7), a week later they have left them, and thirteen days later they are the last row of the
table of the last 14 days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page

from e2e.support import (
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    bodies_to,
    first_reply,
    handoff,
    texts_to,
)
from pages.dashboard import FIGURES_API_PATH, DashboardPage, week_counts
from pages.inbox import InboxPage

pytestmark = pytest.mark.dashboard

# Monday 8:50 PM in New York, already Tuesday in UTC: "today" must be the business's day.
MONDAY_EVENING = datetime(2030, 1, 8, 1, 50, tzinfo=UTC)


#: The longest wait: an hour and 35 minutes and the few seconds the test takes, written in hours and minutes
#: ("95 min" or "1 h" would be wrong).
LONGEST = re.compile(r"^1 h 3[56] min$")
#: The inbox's "Updated" label of a conversation last active on Monday evening, a week on.
SEVEN_DAYS_AGO = re.compile(r"^Jan 7, (9|10):\d{2} PM$")
#: ...and the same evening: the time alone (today in New York, though already tomorrow in UTC).
THIS_EVENING = re.compile(r"^(8|9|10):\d{2} PM$")
UNDER_A_MINUTE = re.compile(r"^(\d{1,3} ms|[1-5]?\d\.\d s)$")


def minutes(n: int) -> re.Pattern[str]:
    """A wait of n minutes and a few seconds, as the dashboard writes it ("6 min", "6 min 4 s")."""
    return re.compile(rf"^{n} min( [1-5]?\d s)?$")


@pytest.mark.tenant(compliance="pending")
def test_first_response_figures_after_a_few_missed_calls(
    owner_page: Page, tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient,
    new_customer_phone: Callable[[], str], wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    seeder.set_clock(tenant, now=MONDAY_EVENING)
    dashboard = DashboardPage(owner_page).goto()
    dashboard.expect_week(answered=0, waiting=0, p50="—", p95="—")

    callers = [new_customer_phone() for _ in range(3)]
    for caller, then in zip(callers, (89 * 60, 5 * 60, 60), strict=True):
        assert twilio.missed_call(from_=caller, to=tenant.phone_number)["status_code"] == 200
        if caller == callers[0]:
            # Texting while still waiting for the first reply does not start a second wait.
            assert twilio.inbound_sms(from_=caller, to=tenant.phone_number, body="hello?")["status_code"] == 200
        seeder.set_clock(tenant, advance_seconds=then)
    # Someone who only texts STOP waits for no answer: not a fourth wait.
    assert twilio.inbound_sms(from_=new_customer_phone(), to=tenant.phone_number, body="STOP")["status_code"] == 200
    wait_until(lambda: week_counts(owner_page) == (0, 3), message="three callers waiting")
    dashboard.goto()
    dashboard.expect_week(answered=0, waiting=3, p50="—", p95="—")
    dashboard.expect_today(day="2030-01-07", answered=0, waiting=3, p50="—", p95="—")
    # The JSON API dates its figures by the business's day too (already Tuesday in UTC).
    figures = owner_page.request.get(FIGURES_API_PATH).json()
    assert (figures["today"], figures["last_7_days"]["first_day"], figures["last_7_days"]["last_day"]) == (
        "2030-01-07", "2030-01-01", "2030-01-07"), figures
    # Unasked, its table is the last 14 days, newest first, as the dashboard's.
    days = [d["day"] for d in figures["days"]]
    assert (len(days), days[0], days[-1]) == (14, "2030-01-07", "2029-12-25"), days
    labels = [c["last_activity_label"] for c in app_api.get("/api/v1/conversations").json()["conversations"]]
    assert labels and all(THIS_EVENING.match(label) for label in labels), labels  # the inbox's "Updated" column

    result = twilio.set_brand_status(tenant.extra["brand_sid"], "APPROVED",
                                     callback_url=tenant.url("/webhooks/twilio/compliance"))
    assert result["status_code"] == 200, result
    wait_until(lambda: all(texts_to(twilio, tenant=tenant, customer=c) for c in callers),
               message="the three held first replies")
    # The first caller's two held texts reach them in the order they were written.
    def both_texts_to_the_first_caller() -> list[str]:
        bodies = bodies_to(twilio, tenant=tenant, customer=callers[0])
        return bodies if len(bodies) >= 2 else []

    held_for_first = wait_until(both_texts_to_the_first_caller, message="the first caller's second held text")
    assert held_for_first == [first_reply(tenant), handoff(tenant)], held_for_first
    wait_until(lambda: week_counts(owner_page) == (3, 0), message="three callers answered")

    # Waits of ~95, ~6 and ~1 minutes: the median is the middle one, p95 the longest (nearest rank), which
    # is over an hour and so shown in hours and minutes.
    dashboard.goto()
    dashboard.expect_week(answered=3, waiting=0, p50=minutes(6), p95=LONGEST)
    dashboard.expect_waiting_for_you(1)  # the first caller's "hello?" is for a person; the calls were answered
    dashboard.expect_today(day="2030-01-07", answered=3, waiting=0, p50=minutes(6), p95=LONGEST)
    dashboard.expect_day_count(14)
    # The second and third callers write again that evening: a second wait in each conversation, answered at once
    # by the assistant. All the waits count. Four answered (~0, 1, 6, 95 minutes): the median is the 2nd of the
    # four (nearest rank: ceil(0.5 x 4)), the third caller's minute.
    assert twilio.inbound_sms(from_=callers[1], to=tenant.phone_number, body="HELP")["status_code"] == 200
    wait_until(lambda: week_counts(owner_page) == (4, 0), message="the second caller's second wait answered")
    dashboard.goto()
    dashboard.expect_week(answered=4, waiting=0, p50=minutes(1), p95=LONGEST)
    # Five answered (~0, ~0, 1, 6, 95 minutes): the median is the third of the five (nearest rank: the 3rd, not
    # the 2nd), the third caller's minute still.
    assert twilio.inbound_sms(from_=callers[2], to=tenant.phone_number, body="HELP")["status_code"] == 200
    wait_until(lambda: week_counts(owner_page) == (5, 0), message="the second waits answered")
    dashboard.goto()
    dashboard.expect_today(day="2030-01-07", answered=5, waiting=0, p50=minutes(1), p95=LONGEST)
    dashboard.expect_day_labels(["Today", "Yesterday", "Sat Jan 5", "Fri Jan 4"])
    # The next morning (Tuesday, ten hours on: not a day later) Monday evening's activity is yesterday's in New
    # York, dated by its weekday: a time alone would read as this morning's.
    seeder.set_clock(tenant, advance_seconds=10 * 3600)
    labels = [c["last_activity_label"] for c in app_api.get("/api/v1/conversations").json()["conversations"]]
    assert labels and all(re.fullmatch(r"Mon (8|9|10):\d{2} PM", label) for label in labels), labels

    # Six days after Monday evening (Sunday evening) Monday is the oldest of the 7 days: its waits still count...
    seeder.set_clock(tenant, advance_seconds=6 * 24 * 3600 - 10 * 3600)
    dashboard.goto()
    dashboard.expect_week(answered=5, waiting=0, p50=minutes(1), p95=LONGEST)
    # ...and the inbox still dates Monday's activity by its weekday (six days ago is this week).
    conversations = app_api.get("/api/v1/conversations").json()["conversations"]
    labels = [c["last_activity_label"] for c in conversations]
    assert labels and all(re.fullmatch(r"Mon \d{1,2}:\d{2} PM", label) for label in labels), labels
    # Each is the time of the conversation's newest line (a text after the call, for those who wrote again), not its start.
    for conversation in conversations:
        thread = app_api.get(f"/api/v1/conversations/{conversation['id']}/messages").json()["messages"]
        assert conversation["last_activity_label"] == thread[-1]["created_at_label"], (conversation, thread[-1])
    # ... and a week later they have left the 7-day tiles, but not the 14-day table. The conversation that
    # waited for a person has been idle for days, so it is closed and waits no more: the dashboard, opened
    # before anything else, says so too (the inbox then shows it closed, dated, not "Mon", which would read
    # as today).
    seeder.set_clock(tenant, advance_seconds=24 * 3600)
    dashboard.goto()
    dashboard.expect_waiting_for_you(0)
    dashboard.expect_week(answered=0, waiting=0, p50="—", p95="—")
    dashboard.expect_today(day="2030-01-14", answered=0, waiting=0, p50="—", p95="—")
    dashboard.expect_day(label="Mon Jan 7", day="2030-01-07", answered=5, waiting=0, p50=minutes(1), p95=LONGEST)
    dashboard.expect_day_labels(["Today", "Yesterday", "Sat Jan 12"])
    inbox = InboxPage(owner_page).goto()
    inbox.expect_conversation(callers[0], state="closed")
    inbox.expect_updated(callers[-1], SEVEN_DAYS_AGO)
    # Approved by now, the business answers a new caller at once: a wait under a minute reads "850 ms" or "2.4 s".
    assert twilio.missed_call(from_=new_customer_phone(), to=tenant.phone_number)["status_code"] == 200
    wait_until(lambda: week_counts(owner_page) == (1, 0), message="the new caller answered")
    dashboard.goto()
    dashboard.expect_today(day="2030-01-14", answered=1, waiting=0, p50=UNDER_A_MINUTE, p95=UNDER_A_MINUTE)
    # Thirteen days after them (Sunday the 20th), Monday the 7th is the oldest day of the table, figures and all.
    seeder.set_clock(tenant, advance_seconds=6 * 24 * 3600)
    dashboard.goto()
    dashboard.expect_day(label="Mon Jan 7", day="2030-01-07", answered=5, waiting=0, p50=minutes(1), p95=LONGEST)
    # The p95 bars compare the days: the slowest day's is the full 8 rem, a sub-second day's a sliver.
    assert round(dashboard.bar_width_rem("Mon Jan 7"), 1) == 8.0
    assert dashboard.bar_width_rem("Mon Jan 14") < 0.5
    # The JSON API's window is the one asked for: the last 7 tenant-local days, newest first.
    week = owner_page.request.get(f"{FIGURES_API_PATH}?days=7").json()
    assert [d["day"] for d in week["days"]] == [f"2030-01-{d}" for d in range(20, 13, -1)], week["days"]
    # Up to 90 days, a quarter, may be asked for; no fewer than one, no more than 90.
    quarter = owner_page.request.get(f"{FIGURES_API_PATH}?days=90")
    assert quarter.status == 200 and len(quarter.json()["days"]) == 90, quarter.text()
    for wrong in (0, 91):
        refused = owner_page.request.get(f"{FIGURES_API_PATH}?days={wrong}")
        assert (refused.status, refused.json()["code"]) == (422, "validation_error"), (wrong, refused.text())
    # The page writes the API's figures to the second: "1 min 4 s", and "1 min" only when the seconds are 0.
    [monday] = [d for d in owner_page.request.get(f"{FIGURES_API_PATH}?days=14").json()["days"] if d["day"] == "2030-01-07"]
    minutes_part, seconds_part = divmod(round(monday["p50_ms"] / 1000), 60)
    assert minutes_part == 1, monday
    shown = f"1 min {seconds_part} s" if seconds_part else "1 min"
    dashboard.expect_day(label="Mon Jan 7", day="2030-01-07", answered=5, waiting=0, p50=shown, p95=LONGEST)
