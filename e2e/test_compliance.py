"""[compliance] Flow 4: a tenant whose business registration is pending texts nobody — the first reply is held
and visible, a banner says why, the composer is disabled and the API refuses with 403 — until the brand
is approved at the Twilio fake, which releases the held text. Also: the owner registers from the
Compliance page; a rejected brand turns texting off until the owner submits again (a late word about the
rejected brand changes nothing); texts held for more than a day (tenant clock) are dropped, not sent
late; STOP blocks every further text, START brings texting back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.support import (
    Settle,
    TenantHandle,
    TenantSeeder,
    TwilioFakeClient,
    WaitUntil,
    approve_brand,
    bodies_to,
    decide_brand,
    expect_banner_link,
    first_attempt_unanswered,
    first_reply,
    handoff,
    texts_to,
)
from pages.banners import COMPLIANCE_BANNER_TEST_ID
from pages.compliance import CompliancePage
from pages.conversation import MESSAGE_NOTE_TEST_ID, ConversationPage
from pages.inbox import InboxPage

pytestmark = pytest.mark.compliance

BRAND_REGISTRATIONS = "/v1/a2p/BrandRegistrations"  # Twilio's brand registration endpoint (POST registers)
#: The stack's Trust Hub bundles (TWILIO_CUSTOMER_PROFILE_SID / TWILIO_A2P_PROFILE_SID in playwright.config.toml):
#: each brand registration must name each in its own field.
CUSTOMER_PROFILE_BUNDLE = "BU00000000000000000000000000000001"
A2P_PROFILE_BUNDLE = "BU00000000000000000000000000000002"


def send_through_api(app_api: httpx.Client, conversation_id: str, body: str) -> httpx.Response:
    return app_api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"body": body})


@pytest.mark.smoke
@pytest.mark.tenant(compliance="pending")
def test_a_pending_tenant_texts_nobody_and_says_why(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, settle: Settle,
    app_api: httpx.Client,
) -> None:
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS while registration is pending"):
        decide_brand(twilio, tenant, tenant.extra["brand_sid"], "IN_REVIEW")  # under review is still pending
        assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200
    registration = app_api.get("/api/v1/compliance").json()["registration"]
    assert (registration["status"], registration["decided_at"]) == ("pending", None), registration  # not decided yet

    inbox = InboxPage(owner_page).goto()
    inbox.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "pending")
    inbox.banners.expect_level(COMPLIANCE_BANNER_TEST_ID, "warning")
    inbox.banners.expect_message(COMPLIANCE_BANNER_TEST_ID, "Your business registration is pending approval. "
                                 "Automatic replies are held and go out once approved.")
    expect_banner_link(owner_page, COMPLIANCE_BANNER_TEST_ID, "See the registration")
    inbox.expect_conversation(customer_phone, state="open")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_held_messages(1)
    conversation.expect_composer_disabled("pending")


@pytest.mark.tenant(compliance="pending")
def test_approval_removes_the_banner_and_sends_the_held_text(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, app_api: httpx.Client,
    wait_until: WaitUntil, settle: Settle, new_customer_phone: Callable[[], str],
) -> None:
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS while registration is pending"):
        twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation_id = conversation.conversation_id
    conversation.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "pending")
    conversation.expect_held_messages(1)
    conversation.expect_composer_disabled("pending")

    refused = send_through_api(app_api, conversation.conversation_id, "Hello from the API")
    assert refused.status_code == 403
    assert refused.json()["code"] == "compliance_pending" and "pending" in refused.json()["detail"]
    status = app_api.get("/api/v1/compliance").json()
    assert (status["status"], status["can_send"], status["code"]) == ("pending", False, "compliance_pending"), status
    assert texts_to(twilio, tenant=tenant, customer=customer_phone) == []
    # Nor can the business register a second brand while the first is under review.
    second_brand = {"legal_name": f"{tenant.name} LLC", "ein": "12-3456789", "website": "https://example.com",
                    "use_case": "MIXED"}
    again = app_api.post("/api/v1/compliance/registration", json=second_brand)
    assert (again.status_code, again.json()["code"]) == (409, "compliance_already_pending"), again.text

    # Another caller's first reply is held too, and that caller texts STOP before the approval: it never goes.
    quitter = new_customer_phone()

    def quitters_replies(state: str) -> list[tuple[str, str | None]]:
        """The outbound texts of the other caller's conversation once it is in `state`: (status, why)."""
        listed = app_api.get("/api/v1/conversations").json()["conversations"]
        ids = [c["id"] for c in listed if c["customer_phone"] == quitter and c["state"] == state]
        thread = app_api.get(f"/api/v1/conversations/{ids[0]}/messages").json()["messages"] if ids else []
        return [(m["status"], m["status_reason"]) for m in thread if m["direction"] == "outbound"]

    twilio.missed_call(from_=quitter, to=tenant.phone_number)
    wait_until(lambda: [status for status, _ in quitters_replies("open")] == ["held"], message="the other held reply")
    assert twilio.inbound_sms(from_=quitter, to=tenant.phone_number, body="STOP")["status_code"] == 200
    wait_until(lambda: quitters_replies("blocked"), message="the STOP of the caller whose first reply is held")
    # Texting that customer is refused for their STOP, which outlasts the registration: not for "pending".
    [blocked] = [c["id"] for c in app_api.get("/api/v1/conversations").json()["conversations"]
                 if c["customer_phone"] == quitter]
    refused = send_through_api(app_api, blocked, "Hello from the API")
    assert (refused.status_code, refused.json()["code"]) == (403, "opted_out"), refused.text

    approve_brand(twilio, tenant)
    [released] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the held first reply")
    assert released["body"] == first_reply(tenant)
    # Released in the same pass, the other caller's held reply is marked, not sent.
    assert quitters_replies("blocked") == [("blocked", "Not sent: the customer opted out (STOP).")]
    assert first_reply(tenant) not in [m["body"] for m in texts_to(twilio, tenant=tenant, customer=quitter)]

    # The open page notices by itself: banner gone, composer enabled, the text no longer held.
    conversation.banners.expect_absent(COMPLIANCE_BANNER_TEST_ID)
    conversation.expect_composer_enabled()
    conversation.expect_no_held_messages()
    conversation.expect_message(released["body"])
    # The text the API refused while pending now goes out, signed by the owner the token belongs to.
    sent = send_through_api(app_api, conversation.conversation_id, "Hello from the API")
    assert (sent.status_code, sent.json()["author"], sent.json()["author_name"], sent.json()["author_label"]) == (
        201, "human", tenant.owner.name, tenant.owner.name), sent.text
    # The thread through the API, oldest first: the missed call, the released reply, the owner's text.
    thread = app_api.get(f"/api/v1/conversations/{conversation.conversation_id}/messages").json()["messages"]
    assert [(m["direction"], m["author_label"], m["body"]) for m in thread][1:] == [
        ("outbound", "Assistant", first_reply(tenant)), ("outbound", tenant.owner.name, "Hello from the API")], thread
    assert thread[0]["direction"] == "event" and thread[-1]["id"] == sent.json()["id"], thread
    # Only what went out was accepted by Twilio at some time; the missed call is a line, never sent.
    assert thread[0]["sent_at"] is None and thread[1]["sent_at"] is not None, thread
    wait_until(lambda: "Hello from the API" in [t["body"] for t in texts_to(twilio, tenant=tenant, customer=customer_phone)],
               message="the owner's text sent through the API")
    # Sending took the conversation over: the open page reloads itself into "human"; wait for that reload so
    # it cannot interrupt the next navigation.
    conversation.expect_state("human")
    status = app_api.get("/api/v1/compliance").json()
    assert (status["status"], status["can_send"], status["code"]) == ("approved", True, None), status
    assert status["registration"]["decided_at"] is not None, "the approval has no date"
    # Once approved, a second brand is refused too (it would pause texting again while it is reviewed).
    again = app_api.post("/api/v1/compliance/registration", json=second_brand)
    assert (again.status_code, again.json().get("code")) == (409, "compliance_already_approved"), again.text
    CompliancePage(owner_page).goto().expect_status("approved")
    # The approval is withdrawn on review while the owner's next text waits for its retry (Twilio never answered
    # its first attempt): it is held with everything else, not sent.
    on_its_way = "We can come tomorrow at 9."
    with first_attempt_unanswered(twilio, wait_until):
        assert send_through_api(app_api, conversation_id, on_its_way).status_code == 201
    decide_brand(twilio, tenant, tenant.extra["brand_sid"], "FAILED", failure_reason="Withdrawn on review.")

    def last_status() -> str:
        thread = app_api.get(f"/api/v1/conversations/{conversation_id}/messages").json()["messages"]
        return f"{thread[-1]['body']}: {thread[-1]['status']}"

    wait_until(lambda: last_status() == f"{on_its_way}: held", message="the text on its way held")
    assert on_its_way not in [t["body"] for t in texts_to(twilio, tenant=tenant, customer=customer_phone)]
    # The carriers suspend the approved brand later: texting is off again, as after a rejection. Twilio gives
    # no reason for a suspension, so the page says the app's own words.
    decide_brand(twilio, tenant, tenant.extra["brand_sid"], "SUSPENDED")
    CompliancePage(owner_page).goto().expect_rejected_because("Brand registration failed")
    suspended = app_api.get("/api/v1/compliance").json()["registration"]
    assert (suspended["status"], suspended["failure_reason"], suspended["submitted_by"]) == (
        "rejected", "Brand registration failed", "operator"), suspended
    assert suspended["decided_at"] is not None, suspended
    # The owner registers again through the API: 201 with the new brand, pending, and it was kept.
    brands_before = {brand["sid"] for brand in twilio.brands()}
    # (typed as people do: stray spaces in the name and around the website, the EIN without its dash)
    resubmitted = app_api.post("/api/v1/compliance/registration", json={
        **second_brand, "legal_name": f"  {tenant.name}   LLC ", "ein": "123456789", "website": " https://example.com "})
    assert resubmitted.status_code == 201, resubmitted.text
    [brand] = [b for b in twilio.brands() if b["sid"] not in brands_before]
    status = app_api.get("/api/v1/compliance").json()
    assert status == resubmitted.json(), "the registration the API answered was not the one kept"
    registration = status["registration"]
    assert (status["status"], status["code"], registration["status"], registration["brand_sid"],
            registration["legal_name"], registration["ein"], registration["website"], registration["submitted_by"],
            registration["failure_reason"], registration["decided_at"]) == (
        "pending", "compliance_pending", "pending", brand["sid"], f"{tenant.name} LLC", "12-3456789",
        "https://example.com", "owner", None, None), status


def test_stop_blocks_every_further_text_and_start_resumes(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, app_api: httpx.Client,
    wait_until: WaitUntil, settle: Settle,
) -> None:
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the first SMS")
    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation_id = conversation.conversation_id
    # The page hears nothing from here on (its refreshes fail), so it still offers "Take over" after the STOP.
    with conversation.deaf():
        with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), what="SMS after STOP"):
            assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="STOP")["status_code"] == 200
            twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
            twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="hello?")
        # Pressing it is refused on the page, which says why and shows the conversation as it is now.
        with conversation.expect_form_answer(409):
            conversation.take_over_button.click()
        expect(conversation.error).to_have_text("Can't take over now: the customer opted out by texting STOP.")
    conversation.expect_state("blocked")
    conversation.expect_composer_disabled("opted out")
    refused = send_through_api(app_api, conversation_id, "Are you sure?")
    assert refused.status_code == 403 and refused.json()["code"] == "opted_out"
    # Nor can a person take the opted-out conversation over or hand it to the assistant (either would leave
    # "blocked" behind).
    for action, words in (("takeover", "take over"), ("release", "return to assistant")):
        moved = app_api.post(f"/api/v1/conversations/{conversation_id}/{action}")
        assert (moved.status_code, moved.json().get("detail")) == (
            409, f"Can't {words} now: the customer opted out by texting STOP."), moved.text

    before = len(texts_to(twilio, tenant=tenant, customer=customer_phone))
    twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="START")
    [confirmation] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone)[before:],
                                message="the START reply")
    assert confirmation["body"] == (f"You're subscribed again to texts from {tenant.name}. "
                                    "Reply HELP for help, STOP to opt out.")
    conversation.expect_state("open")
    conversation.expect_composer_enabled()
    conversation.send("Welcome back! How can we help?")
    wait_until(lambda: [m for m in texts_to(twilio, tenant=tenant, customer=customer_phone)
                        if m["body"] == "Welcome back! How can we help?"], message="the owner's text after START")
    # A text on its way when the customer opts out again (Twilio never answered its first attempt, so it waits
    # for a retry) is not sent after the STOP, and the thread says why.
    on_its_way = "One more thing about your visit."
    with first_attempt_unanswered(twilio, wait_until):
        conversation.send(on_its_way)
    twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="STOP")
    conversation.expect_message(on_its_way, status="Not sent", note="Not sent: the customer opted out (STOP).")
    assert on_its_way not in [m["body"] for m in texts_to(twilio, tenant=tenant, customer=customer_phone)]


@pytest.mark.tenant(compliance="none")
@pytest.mark.allow_app_errors("Twilio refuses one brand registration: the page answers 502 on purpose",
                               only=r"POST \S*/compliance -> 502|to the browser: POST \S*/compliance$")
def test_the_owner_registers_on_the_compliance_page_and_texting_starts_on_approval(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, wait_until: WaitUntil,
    settle: Settle, app_api: httpx.Client,
) -> None:
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS before the business is registered"):
        assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200
    status = app_api.get("/api/v1/compliance").json()
    assert (status["status"], status["can_send"], status["code"], status["registration"]) == (
        "none", False, "compliance_required", None), status
    assert "until your business is registered" in status["reason"], status
    inbox = InboxPage(owner_page).goto()
    inbox.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "none")
    inbox.banners.expect_message(COMPLIANCE_BANNER_TEST_ID,
                                 "Texting is off until your business is registered for business texting.")
    expect_banner_link(owner_page, COMPLIANCE_BANNER_TEST_ID, "Register your business")
    inbox.banners.follow(COMPLIANCE_BANNER_TEST_ID)
    compliance = CompliancePage(owner_page).expect_loaded()
    compliance.expect_status("none")
    compliance.expect_form("Register your business")

    brands_before = {brand["sid"] for brand in twilio.brands()}
    with compliance.expect_form_answer(422):
        compliance.register(legal_name="A", ein="12-34", website="example.com", use_case="")
    compliance.expect_field_error("Legal business name", "Enter the business's legal name (2 to 200 characters).")
    compliance.expect_field_error("EIN", "Enter the 9-digit EIN, like 12-3456789.")
    compliance.expect_field_error("Website", "Enter the business website, starting with https://")
    compliance.expect_field_error("Use case", "Choose what you will text customers about.")
    expect(compliance.form_error).to_have_text("Some details need fixing; see below.")
    compliance.expect_form_values(legal_name="A", ein="12-34", website="example.com",  # nothing to type again
                                  use_case="")
    compliance.expect_status("none")
    # The API refuses the same way, naming each field to fix: a website needs a real host name too, and a
    # two-letter legal name is a name.
    refused = app_api.post("/api/v1/compliance/registration", json={
        "legal_name": "3M", "ein": "12-34", "website": "https://example", "use_case": "MIXED"})
    assert (refused.status_code, refused.json().get("code"), sorted(refused.json().get("errors", {}))) == (
        422, "invalid_registration", ["ein", "website"]), refused.text
    # The limits, at and one past them: a legal name of 200 characters and a website of 300 are fine (only the
    # EIN is wrong here), 201 and 301 are not.
    def register_with(name_length: int, website_length: int) -> httpx.Response:
        return app_api.post("/api/v1/compliance/registration", json={
            "legal_name": "N" * name_length, "ein": "12-34", "use_case": "MIXED",
            "website": "https://example.com/" + "a" * (website_length - len("https://example.com/"))})

    # A plain-http site is a website too; another scheme is not.
    for site, wrong in (("http://example.com", ["ein"]), ("ftp://example.com", ["ein", "website"])):
        answer = app_api.post("/api/v1/compliance/registration", json={
            "legal_name": "Acme Plumbing", "ein": "12-34", "website": site, "use_case": "MIXED"})
        assert (answer.status_code, sorted(answer.json().get("errors", {}))) == (422, wrong), answer.text
    at_limits = register_with(200, 300)
    assert (at_limits.status_code, sorted(at_limits.json().get("errors", {}))) == (422, ["ein"]), at_limits.text
    past = register_with(201, 301)
    assert (past.status_code, past.json().get("code"), sorted(e["loc"][-1] for e in past.json()["detail"])) == (
        422, "validation_error", ["legal_name", "website"]), past.text
    assert {brand["sid"] for brand in twilio.brands()} == brands_before, "an invalid form registered a brand"

    # Twilio refusing the brand (a 503) is said on the page, registers nothing and keeps the form to send again.
    legal_name, website = f"{tenant.name} LLC", "https://example.com/plumbing"
    twilio.add_fault(BRAND_REGISTRATIONS, "status", method="POST", code=503, times=1)
    compliance.register(legal_name=legal_name, ein="123456789", website=website, use_case="MIXED")
    expect(compliance.form_error).to_contain_text("Twilio did not accept the registration")
    compliance.expect_status("none")
    # (the use case too: a select that forgot it would show the placeholder again)
    compliance.expect_form_values(legal_name=legal_name, ein="123456789", website=website, use_case="MIXED")
    second_tab = CompliancePage(owner_page.context.new_page()).goto()  # the same form, open in another tab
    compliance.submit_button.click()
    compliance.expect_submitted()
    # Sent again from the other tab (a double submission): the page says the registration is already pending,
    # keeping what was typed, and Twilio gets no second brand.
    with second_tab.expect_form_answer(409):
        second_tab.register(legal_name=legal_name, ein="123456789", website=website, use_case="MIXED")
    expect(second_tab.form_error).to_have_text("The business registration is already pending.")
    second_tab.expect_status("pending")
    second_tab.expect_details(legal_name=legal_name, ein="12-3456789", website=website,
                              use_case_label="Mixed (customer care and notifications)")
    second_tab.page.close()
    compliance.expect_details(legal_name=legal_name, ein="12-3456789", website=website,
                              use_case_label="Mixed (customer care and notifications)")
    [brand] = [b for b in twilio.brands() if b["sid"] not in brands_before]
    assert brand["status"] == "PENDING" and compliance.brand_sid == brand["sid"]
    assert (brand["customer_profile_bundle_sid"], brand["a2p_profile_bundle_sid"]) == (
        CUSTOMER_PROFILE_BUNDLE, A2P_PROFILE_BUNDLE), brand
    compliance.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "pending")
    assert texts_to(twilio, tenant=tenant, customer=customer_phone) == []

    decide_brand(twilio, tenant, brand["sid"], "APPROVED")
    [released] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                            message="the first reply held while unregistered")
    assert released["body"] == first_reply(tenant)
    compliance = CompliancePage(owner_page).goto()
    compliance.expect_status("approved")
    compliance.banners.expect_absent(COMPLIANCE_BANNER_TEST_ID)


@pytest.mark.tenant(compliance="pending")
def test_a_rejected_brand_turns_texting_off_until_the_owner_submits_again(
    owner_page: Page, tenant: TenantHandle, twilio: TwilioFakeClient, customer_phone: str, app_api: httpx.Client,
    wait_until: WaitUntil, settle: Settle,
) -> None:
    rejected_brand = tenant.extra["brand_sid"]
    reason = "The EIN does not match the legal business name."
    decide_brand(twilio, tenant, rejected_brand, "FAILED", failure_reason=reason)
    with settle.window(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                       what="SMS while the registration is rejected"):
        twilio.missed_call(from_=customer_phone, to=tenant.phone_number)

    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.banners.expect_state(COMPLIANCE_BANNER_TEST_ID, "rejected")
    conversation.banners.expect_level(COMPLIANCE_BANNER_TEST_ID, "danger")  # red: texting is off until fixed
    conversation.banners.expect_message(COMPLIANCE_BANNER_TEST_ID,
                                        "Your business registration was rejected, so texting is off.")
    conversation.expect_message(first_reply(tenant), status="Held")
    conversation.expect_composer_disabled("rejected")
    refused = send_through_api(app_api, conversation.conversation_id, "Hello from the API")
    assert refused.status_code == 403 and refused.json()["code"] == "compliance_rejected"

    expect_banner_link(owner_page, COMPLIANCE_BANNER_TEST_ID, "Fix the registration")
    conversation.banners.follow(COMPLIANCE_BANNER_TEST_ID)
    compliance = CompliancePage(owner_page).expect_loaded()
    compliance.expect_rejected_because(reason)
    compliance.expect_form("Submit again")
    compliance.register(legal_name=f"{tenant.name} Inc", ein="98-7654321", website="https://example.org")
    compliance.expect_submitted()
    new_brand = compliance.brand_sid
    assert new_brand != rejected_brand

    # Twilio's late word about the rejected registration changes nothing: only the newest one counts. (The
    # owner refreshes the page they submitted from, /compliance?submitted=1.)
    decide_brand(twilio, tenant, rejected_brand, "APPROVED")
    owner_page.reload()
    compliance.expect_submitted()

    decide_brand(twilio, tenant, new_brand, "APPROVED")
    [released] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone),
                            message="the first reply held while rejected")
    assert released["body"] == first_reply(tenant)
    owner_page.reload()  # approved: the submission notice no longer applies
    compliance.expect_status("approved")
    expect(compliance.submitted_notice).to_have_count(0)
    # Twilio starts deleting the brand (DELETION_PENDING, a step the app takes no action on): answered, and
    # texting stays on. Then Twilio suspends the approved brand (a carrier's complaint): texting is off again.
    decide_brand(twilio, tenant, new_brand, "DELETION_PENDING")
    assert app_api.get("/api/v1/compliance").json()["status"] == "approved"
    decide_brand(twilio, tenant, new_brand, "SUSPENDED")
    owner_page.reload()
    compliance.expect_status("rejected")
    compliance.banners.expect_level(COMPLIANCE_BANNER_TEST_ID, "danger")


@pytest.mark.tenant(compliance="pending")
def test_texts_held_for_more_than_a_day_are_dropped_when_approval_comes(
    owner_page: Page, tenant: TenantHandle, seeder: TenantSeeder, twilio: TwilioFakeClient, customer_phone: str,
    new_customer_phone: Callable[[], str], wait_until: WaitUntil, app_api: httpx.Client,
) -> None:
    later_caller = new_customer_phone()
    twilio.missed_call(from_=customer_phone, to=tenant.phone_number)
    ConversationPage.from_inbox(owner_page, customer_phone).expect_held_messages(1)
    seeder.set_clock(tenant, advance_seconds=5 * 60)
    twilio.missed_call(from_=later_caller, to=tenant.phone_number)
    younger = ConversationPage.from_inbox(owner_page, later_caller)
    younger.expect_held_messages(1)

    # Half a day in, the first caller writes again: the assistant's answer is held too, and is half a day old at
    # the approval. Its own age counts, not its conversation's (a day old by then).
    seeder.set_clock(tenant, advance_seconds=12 * 3600)
    assert twilio.inbound_sms(from_=customer_phone, to=tenant.phone_number, body="Hello? Is anyone there?")[
        "status_code"] == 200

    def held_for_first_caller() -> list[str]:
        [first] = [c for c in app_api.get("/api/v1/conversations").json()["conversations"]
                   if c["customer_phone"] == customer_phone]
        thread = app_api.get(f"/api/v1/conversations/{first['id']}").json()["messages"]
        return [m["body"] for m in thread if m["status"] == "held"]

    wait_until(lambda: held_for_first_caller() == [first_reply(tenant), handoff(tenant)],
               message="the answer to the first caller's text held too")
    # Approval comes just over a day after the first reply was held, and just under a day after the second
    # (five minutes under: the real seconds the test takes meanwhile also count on the tenant clock).
    clock = seeder.set_clock(tenant, advance_seconds=12 * 3600 - 5 * 60)
    approve_brand(twilio, tenant)
    # The decision is dated on the business's clock, as the held texts' ages are.
    decided_at = app_api.get("/api/v1/compliance").json()["registration"]["decided_at"]
    assert datetime.fromisoformat(decided_at) >= clock, f"approved at {decided_at}, before the business's now {clock}"
    [sent] = wait_until(lambda: texts_to(twilio, tenant=tenant, customer=later_caller), message="the younger held text")
    assert sent["body"] == first_reply(tenant)
    # The first caller gets the young answer only: the day-old first reply was dropped (in the same transaction
    # that queued the young ones: nothing more to wait for once the answer is there).
    wait_until(lambda: texts_to(twilio, tenant=tenant, customer=customer_phone), message="the young held answer")
    assert bodies_to(twilio, tenant=tenant, customer=customer_phone) == [handoff(tenant)]
    # The open page sees the approval by itself: it reloads with the composer enabled and nothing held. Waiting
    # for that reload also keeps it from interrupting the next navigation (it did once, in CI).
    younger.expect_composer_enabled()
    younger.expect_no_held_messages()

    conversation = ConversationPage.from_inbox(owner_page, customer_phone)
    conversation.expect_message(first_reply(tenant), status="Not sent")
    expect(conversation.message(first_reply(tenant)).get_by_test_id(MESSAGE_NOTE_TEST_ID)).to_contain_text(
        "held for more than 24 hours")
    conversation.expect_no_held_messages()
    ConversationPage.from_inbox(owner_page, later_caller).expect_no_held_messages()
