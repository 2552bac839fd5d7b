"""Every webhook the Twilio fake sends is signed so that RequestValidator accepts it, and carries
Twilio's parameters; Advanced Opt-Out, forced statuses, hostile delivery and redelivery."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from fakes.core import FakeControlError
from fakes.twilio import RunningTwilioFake

if TYPE_CHECKING:
    from conftest import ReceivedWebhook, WebhookReceiver

BUSINESS = "+15550100001"
CUSTOMER = "+15550100999"


@pytest.fixture
def client(twilio_fake: RunningTwilioFake, receiver: WebhookReceiver) -> Client:
    sdk = twilio_fake.sdk_client()
    sdk.incoming_phone_numbers.create(
        phone_number=BUSINESS,
        sms_url=receiver.url("/webhooks/twilio/sms"),
        voice_url=receiver.url("/webhooks/twilio/voice"),
        status_callback=receiver.url("/webhooks/twilio/voice-status?tenant=1"),
    )
    return sdk


def assert_signed(hit: ReceivedWebhook, fake: RunningTwilioFake) -> None:
    signature = hit.headers["X-Twilio-Signature"]
    assert RequestValidator(fake.auth_token).validate(hit.url, hit.form, signature)
    assert not RequestValidator("another-token").validate(hit.url, hit.form, signature)
    tampered = {**hit.form, "From": "+15550100123"}
    assert not RequestValidator(fake.auth_token).validate(hit.url, tampered, signature)
    assert re.fullmatch(r"[0-9a-f-]{36}", hit.headers["I-Twilio-Idempotency-Token"])
    assert hit.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_missed_call_posts_a_signed_voice_status_callback(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    receiver.status = 204
    result = twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS, status="no-answer", duration=0)
    assert re.fullmatch(r"CA[0-9a-f]{32}", result["call_sid"])
    assert result["status_code"] == 204 and result["delivery_id"] and result["error"] is None
    (hit,) = receiver.wait_for(1)
    assert hit.path == "/webhooks/twilio/voice-status?tenant=1"  # signed over the query string too
    assert_signed(hit, twilio_fake)
    form = hit.form
    assert form["CallSid"] == result["call_sid"] and form["AccountSid"] == twilio_fake.account_sid
    assert (form["From"], form["To"], form["Caller"], form["Called"]) == (CUSTOMER, BUSINESS, CUSTOMER, BUSINESS)
    assert (form["CallStatus"], form["CallDuration"], form["Direction"]) == ("no-answer", "0", "inbound")
    assert form["ApiVersion"] == "2010-04-01"


def test_call_falls_back_to_voice_url_and_validates_input(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    number = client.incoming_phone_numbers.list(phone_number=BUSINESS)[0]
    client.incoming_phone_numbers(number.sid).update(status_callback="")
    result = twilio_fake.control.call(from_=CUSTOMER, to=BUSINESS, status="completed", duration=42)
    (hit,) = receiver.wait_for(1)
    assert hit.path == "/webhooks/twilio/voice" and hit.form["CallDuration"] == "42"
    assert result["status_code"] == 200
    with pytest.raises(FakeControlError) as unknown:
        twilio_fake.control.missed_call(from_=CUSTOMER, to="+15550100555")
    assert unknown.value.status == 404
    with pytest.raises(FakeControlError) as bad_status:
        twilio_fake.control.call(from_=CUSTOMER, to=BUSINESS, status="hung-up")
    assert bad_status.value.status == 422
    # A withheld caller ID comes as Twilio's word for it; any other non-number is refused.
    twilio_fake.control.missed_call(from_="anonymous", to=BUSINESS)
    assert receiver.wait_for(2)[1].form["From"] == "anonymous"
    with pytest.raises(FakeControlError) as bad_caller:
        twilio_fake.control.missed_call(from_="555-0100", to=BUSINESS)
    assert bad_caller.value.status == 422


def test_inbound_sms_is_signed_and_shaped_like_twilio(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    result = twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="My sink is leaking")
    assert re.fullmatch(r"SM[0-9a-f]{32}", result["message_sid"]) and result["status_code"] == 200
    assert result["opt_out_type"] is None
    (hit,) = receiver.wait_for(1, path="/webhooks/twilio/sms")
    assert_signed(hit, twilio_fake)
    form = hit.form
    assert form["MessageSid"] == form["SmsSid"] == result["message_sid"]
    assert (form["From"], form["To"], form["Body"]) == (CUSTOMER, BUSINESS, "My sink is leaking")
    assert (form["NumMedia"], form["NumSegments"], form["ApiVersion"]) == ("0", "1", "2010-04-01")
    assert form["AccountSid"] == twilio_fake.account_sid and "OptOutType" not in form
    # inbound messages are visible in the REST list (direction inbound), not in what the app sent
    assert twilio_fake.control.messages() == []
    assert [m.direction for m in client.messages.list()] == ["inbound"]
    # Texts also come from short codes and alphanumeric sender IDs; anything else is refused.
    for sender in ("72345", "ACMEBANK"):
        twilio_fake.control.inbound_sms(from_=sender, to=BUSINESS, body="Your code is 123456")
    assert [h.form["From"] for h in receiver.wait_for(3, path="/webhooks/twilio/sms")[1:]] == ["72345", "ACMEBANK"]
    with pytest.raises(FakeControlError) as bad_sender:
        twilio_fake.control.inbound_sms(from_="555-0100", to=BUSINESS, body="hi")
    assert bad_sender.value.status == 422


def test_a_picture_without_words_is_an_mms_with_an_empty_body(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    photo = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="", media=[photo])
    (hit,) = receiver.wait_for(1, path="/webhooks/twilio/sms")
    assert_signed(hit, twilio_fake)
    assert (hit.form["Body"], hit.form["NumMedia"], hit.form["MediaUrl0"], hit.form["MediaContentType0"]) == (
        "", "1", photo, "image/jpeg")
    for media in (["http://insecure.example/x.jpg"], "https://one.example/x.jpg", [photo] * 11):
        with pytest.raises(FakeControlError) as refused:
            twilio_fake.control._call("POST", "/_fake/sms", json={"from": CUSTOMER, "to": BUSINESS, "body": "",
                                                                  "media": media})
        assert refused.value.status == 422, media


def test_message_status_callbacks_follow_queued_sent_delivered(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    callback = receiver.url("/webhooks/twilio/message-status")
    message = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hello", status_callback=callback)
    sent, delivered = receiver.wait_for(2, path="/webhooks/twilio/message-status")
    for hit in (sent, delivered):
        assert_signed(hit, twilio_fake)
        assert hit.form["MessageSid"] == hit.form["SmsSid"] == message.sid
        assert (hit.form["To"], hit.form["From"]) == (CUSTOMER, BUSINESS)
    assert [sent.form["MessageStatus"], delivered.form["MessageStatus"]] == ["sent", "delivered"]
    assert sent.headers["I-Twilio-Idempotency-Token"] != delivered.headers["I-Twilio-Idempotency-Token"]
    listed = twilio_fake.control.messages(to=CUSTOMER)
    assert [(m["sid"], m["status"], m["status_callback"]) for m in listed] == [(message.sid, "delivered", callback)]


def test_forced_failure_posts_the_callback_and_stops_progression(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    twilio_fake.control.configure(auto_status=False)
    callback = receiver.url("/status")
    message = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hello", status_callback=callback)
    assert message.sid is not None
    result = twilio_fake.control.set_message_status(message.sid, "undelivered", error_code=30003)
    assert result["status"] == "undelivered" and result["status_code"] == 200
    (hit,) = receiver.wait_for(1)
    assert_signed(hit, twilio_fake)
    assert (hit.form["MessageStatus"], hit.form["ErrorCode"]) == ("undelivered", "30003")
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    failed = twilio_fake.control.set_message_status(message.sid, "failed")
    assert failed["status"] == "failed" and client.messages(message.sid).fetch().error_code == 30008
    with pytest.raises(FakeControlError) as unknown:
        twilio_fake.control.set_message_status("SM" + "0" * 32, "failed")
    assert unknown.value.status == 404
    with pytest.raises(FakeControlError) as bad:
        twilio_fake.control.set_message_status(message.sid, "exploded")
    assert bad.value.status == 422


@pytest.mark.parametrize("word", ["STOP", "stop", " Unsubscribe ", "STOPALL", "cancel", "END", "quit", "REVOKE", "OptOut"])
def test_opt_out_words_block_later_sends_until_start(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver, word: str
) -> None:
    stop = twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body=word)
    assert stop["opt_out_type"] == "STOP"
    (hit,) = receiver.wait_for(1)
    assert hit.form["OptOutType"] == "STOP" and hit.form["Body"] == word  # still forwarded to the app
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Are you still there?")
    assert (caught.value.status, caught.value.code) == (400, 21610)
    client.messages.create(to="+15550100998", from_=BUSINESS, body="other customers still reachable")
    start = twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="start")
    assert start["opt_out_type"] == "START"
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Welcome back")


@pytest.mark.parametrize("word", ["YES", "unstop"])
def test_other_opt_in_words(client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver, word: str) -> None:
    twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="STOP")
    assert twilio_fake.control.opt_outs() == [{"business": BUSINESS, "customer": CUSTOMER}]
    twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body=word)
    assert twilio_fake.control.opt_outs() == []


def test_stop_inside_a_sentence_is_not_an_opt_out(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    assert twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="please stop by at 3")["opt_out_type"] is None
    assert twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="help")["opt_out_type"] == "HELP"
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="See you at 3")


def test_brand_status_change_posts_a_signed_compliance_callback(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    twilio_fake.control.configure(compliance_callback_url=receiver.url("/webhooks/twilio/compliance"))
    brand = client.messaging.v1.brand_registrations.create(customer_profile_bundle_sid="BU1", a2p_profile_bundle_sid="BU2")
    assert brand.sid is not None
    approved = twilio_fake.control.set_brand_status(brand.sid, "APPROVED")
    assert approved["status_code"] == 200 and approved["callback_url"] == receiver.url("/webhooks/twilio/compliance")
    (hit,) = receiver.wait_for(1)
    assert_signed(hit, twilio_fake)
    assert hit.form == {"AccountSid": twilio_fake.account_sid, "BrandRegistrationSid": brand.sid, "Status": "APPROVED"}
    assert client.messaging.v1.brand_registrations(brand.sid).fetch().status == "APPROVED"

    override = receiver.url("/elsewhere")
    twilio_fake.control.set_brand_status(brand.sid, "FAILED", callback_url=override, failure_reason="EIN mismatch")
    failed = receiver.wait_for(1, path="/elsewhere")[0]
    assert_signed(failed, twilio_fake)
    assert (failed.form["Status"], failed.form["FailureReason"]) == ("FAILED", "EIN mismatch")
    fetched = client.messaging.v1.brand_registrations(brand.sid).fetch()
    assert (fetched.status, fetched.failure_reason) == ("FAILED", "EIN mismatch")

    # An approved brand the carriers suspend later (Twilio says so with its own status, no failure reason).
    twilio_fake.control.set_brand_status(brand.sid, "SUSPENDED", callback_url=override)
    suspended = receiver.wait_for(2, path="/elsewhere")[1]
    assert suspended.form == {"AccountSid": twilio_fake.account_sid, "BrandRegistrationSid": brand.sid,
                              "Status": "SUSPENDED"}
    assert client.messaging.v1.brand_registrations(brand.sid).fetch().status == "SUSPENDED"


def test_brand_status_without_a_callback_url_changes_status_only(client: Client, twilio_fake: RunningTwilioFake) -> None:
    brand = client.messaging.v1.brand_registrations.create(customer_profile_bundle_sid="BU1", a2p_profile_bundle_sid="BU2")
    assert brand.sid is not None
    result = twilio_fake.control.set_brand_status(brand.sid, "APPROVED")
    assert result["status_code"] is None and "no compliance callback URL" in result["note"]
    assert client.messaging.v1.brand_registrations(brand.sid).fetch().status == "APPROVED"
    with pytest.raises(FakeControlError) as bad:
        twilio_fake.control.set_brand_status(brand.sid, "approved")
    assert bad.value.status == 422


def test_duplicate_delivery_repeats_signature_and_idempotency_token(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    twilio_fake.control.configure_webhooks(duplicate=3)
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    hits = receiver.wait_for(3)
    assert len({h.headers["I-Twilio-Idempotency-Token"] for h in hits}) == 1
    assert len({h.headers["X-Twilio-Signature"] for h in hits}) == 1 and len({h.body for h in hits}) == 1
    for hit in hits:
        assert_signed(hit, twilio_fake)


def test_reorder_delivers_a_messages_callbacks_newest_first(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    twilio_fake.control.configure_webhooks(reorder=True)
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hi", status_callback=receiver.url("/status"))
    hits = receiver.wait_for(2)
    assert [h.form["MessageStatus"] for h in hits] == ["delivered", "sent"]


def test_delay_ms_delays_webhooks(client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver) -> None:
    import time

    twilio_fake.control.configure_webhooks(delay_ms=250)
    started = time.monotonic()
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    assert time.monotonic() - started >= 0.25
    assert len(receiver.wait_for(1)) == 1


def test_redeliver_replays_a_missed_call_five_times_identically(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    first = twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    for _ in range(5):
        assert twilio_fake.control.redeliver(first["delivery_id"])["status_code"] == 200
    hits = receiver.wait_for(6)
    assert (
        len({(h.url, h.body, h.headers["X-Twilio-Signature"], h.headers["I-Twilio-Idempotency-Token"]) for h in hits}) == 1
    )
    outbound = twilio_fake.control.requests(direction="outbound")
    assert [e["redelivery"] for e in outbound] == [False] + [True] * 5
    assert {e["delivery_id"] for e in outbound} == {first["delivery_id"]}


def test_app_error_status_is_reported_back(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    receiver.status = 403
    assert twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="hi")["status_code"] == 403


def test_journal_filters_one_tenants_traffic(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    since = max([e["id"] for e in twilio_fake.control.requests()] or [0])
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="for this tenant")
    client.incoming_phone_numbers.create(phone_number="+15550100002")
    client.messages.create(to=CUSTOMER, from_="+15550100002", body="another tenant")
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    mine = twilio_fake.control.requests(since_id=since, contains=BUSINESS)
    assert [(e["direction"], e.get("path") or e.get("url")) for e in mine][:1] == [
        ("inbound", f"/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json")
    ]
    assert mine[0]["form"]["Body"] == "for this tenant" and mine[0]["status"] == 201
    assert mine[0]["headers"]["Authorization"].startswith("Basic ")
    assert any(e["direction"] == "outbound" and e["form"]["CallStatus"] == "no-answer" for e in mine)
    assert all("another tenant" not in e["body"] for e in mine)


TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.mark.parametrize(("status", "content_type", "body", "code"), [
    (200, "text/xml", TWIML, None),
    (200, "application/xml; charset=utf-8", b"<Response/>", None),
    (200, None, TWIML, "12300"),                              # TwiML not declared as XML
    (200, "application/json", b'{"ok": true}', "12300"),
    (200, "text/xml", b"ok", "12100"),                         # not XML at all
    (200, "text/xml", b"<Other/>", "12100"),                   # XML, but not a TwiML document
    (403, "text/xml", TWIML, "11200"),                         # refused
    (404, "application/json", b'{"code": "unknown_number"}', "11200"),
])
def test_alerts_say_what_twilio_would_log_about_the_answer_to_a_text(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver,
    status: int, content_type: str | None, body: bytes, code: str | None,
) -> None:
    receiver.status, receiver.content_type, receiver.body = status, content_type, body
    sms = twilio_fake.control.inbound_sms(from_=CUSTOMER, to=BUSINESS, body="hi")
    alerts = twilio_fake.control.alerts(contains=BUSINESS)
    assert [a["error_code"] for a in alerts] == ([code] if code else [])
    for alert in alerts:
        assert alert["resource_sid"] == sms["message_sid"] and alert["delivery_id"] == sms["delivery_id"]
        assert alert["request_url"] == receiver.url("/webhooks/twilio/sms") and alert["request_method"] == "POST"
        assert alert["request_variables"]["Body"] == "hi" and alert["response_body"] == body.decode()


def test_status_callbacks_are_not_read_as_twiml_but_must_be_answered_2xx(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    # The fixture's StatusCallback is not its VoiceUrl: Twilio ignores what a status callback answers...
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hello",
                           status_callback=receiver.url("/webhooks/twilio/message-status"))
    receiver.wait_for(3)
    assert twilio_fake.control.alerts() == []
    # ... but not a refusal, and a call whose status callback falls back to the VoiceUrl is answered with TwiML.
    receiver.status = 500
    call = twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    assert [(a["error_code"], a["resource_sid"]) for a in twilio_fake.control.alerts()] == [("11200", call["call_sid"])]
    client.incoming_phone_numbers.create(phone_number="+15550100002", voice_url=receiver.url("/webhooks/twilio/voice"))
    receiver.status = 200
    other = twilio_fake.control.missed_call(from_=CUSTOMER, to="+15550100002")
    assert [(a["error_code"], a["resource_sid"]) for a in twilio_fake.control.alerts(contains="+15550100002")] == [
        ("12300", other["call_sid"])]


def test_webhooks_can_come_without_idempotency_tokens(
    client: Client, twilio_fake: RunningTwilioFake, receiver: WebhookReceiver
) -> None:
    assert twilio_fake.control.configure(idempotency_tokens=False)["idempotency_tokens"] is False
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    (hit,) = receiver.wait_for(1)
    assert "I-Twilio-Idempotency-Token" not in hit.headers
    assert RequestValidator(twilio_fake.auth_token).validate(hit.url, hit.form, hit.headers["X-Twilio-Signature"])
    with pytest.raises(FakeControlError) as refused:
        twilio_fake.control._call("POST", "/_fake/config", json={"idempotency_tokens": "no"})
    assert refused.value.status == 422
    twilio_fake.control.configure(idempotency_tokens=True)
    twilio_fake.control.missed_call(from_=CUSTOMER, to=BUSINESS)
    assert "I-Twilio-Idempotency-Token" in receiver.wait_for(2)[1].headers
