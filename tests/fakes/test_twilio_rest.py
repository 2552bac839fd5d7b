"""The Twilio fake through the official, unmodified twilio SDK: resources, paging, errors."""

from __future__ import annotations

import os
import re
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fakes.twilio import RunningTwilioFake, sdk_client

BUSINESS = "+15550100001"
CUSTOMER = "+15550100999"
SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


@pytest.fixture
def client(twilio_fake: RunningTwilioFake) -> Client:
    assert not os.environ.get("TWILIO_EDGE") and not os.environ.get("TWILIO_REGION")
    sdk = twilio_fake.sdk_client()
    sdk.incoming_phone_numbers.create(
        phone_number=BUSINESS, sms_url="http://app.test/sms", status_callback="http://app.test/voice"
    )
    return sdk


def test_message_create_returns_a_twilio_shaped_queued_message(client: Client, twilio_fake: RunningTwilioFake) -> None:
    message = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Sorry we missed your call!")
    assert message.sid and SID.fullmatch(message.sid) and message.sid.startswith("SM")
    assert message.status == "queued"
    assert message.account_sid == twilio_fake.account_sid
    assert (message.to, message.from_, message.body) == (CUSTOMER, BUSINESS, "Sorry we missed your call!")
    assert message.api_version == "2010-04-01" and message.num_segments == "1" and message.price is None
    assert message.direction == "outbound-api" and message.error_code is None
    assert message.uri == f"/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages/{message.sid}.json"
    assert message.date_created is not None and message.date_created.tzinfo is not None


def test_wire_body_uses_rfc2822_dates(client: Client, twilio_fake: RunningTwilioFake) -> None:
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hi")
    raw = httpx.get(
        f"{twilio_fake.base_url}/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json",
        auth=(twilio_fake.account_sid, twilio_fake.auth_token),
    ).json()["messages"][0]
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", raw["date_created"])
    assert parsedate_to_datetime(raw["date_created"]).year >= 2024


def test_message_progresses_to_delivered_and_fetch_sees_it(client: Client) -> None:
    sid = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="hi").sid
    assert sid is not None
    deadline = time.monotonic() + 5
    while client.messages(sid).fetch().status != "delivered":
        assert time.monotonic() < deadline, "message never reached delivered"
        time.sleep(0.02)
    fetched = client.messages(sid).fetch()
    assert fetched.date_sent is not None


def test_long_and_unicode_bodies_count_segments(client: Client) -> None:
    assert client.messages.create(to=CUSTOMER, from_=BUSINESS, body="a" * 161).num_segments == "2"
    assert client.messages.create(to=CUSTOMER, from_=BUSINESS, body="é" * 160).num_segments == "1"
    assert client.messages.create(to=CUSTOMER, from_=BUSINESS, body="🙂" * 40).num_segments == "2"


def test_message_list_filters_and_pages(client: Client) -> None:
    other = "+15550100998"
    for index in range(5):
        client.messages.create(to=CUSTOMER, from_=BUSINESS, body=f"m{index}")
    client.messages.create(to=other, from_=BUSINESS, body="other")
    assert len(client.messages.list()) == 6
    to_customer = client.messages.list(to=CUSTOMER, page_size=2)  # three pages through next_page_uri
    assert [m.body for m in to_customer] == ["m4", "m3", "m2", "m1", "m0"]  # newest first, like Twilio
    assert [m.body for m in client.messages.list(to=other)] == ["other"]
    assert len(client.messages.list(limit=3)) == 3
    page = client.messages.page(page_size=4)
    assert page.next_page_url is not None and len(list(page)) == 4
    second = page.next_page()
    assert second is not None and len(list(second)) == 2 and second.next_page_url is None


def test_unknown_message_is_20404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "0" * 32).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "555-0100", "body": "x"}, 21211),
        ({"to": "+1555", "body": ""}, 21602),
        ({"to": CUSTOMER}, 21602),
        ({"to": CUSTOMER, "body": "x", "from_": "+15550100777"}, 21606),
        ({"to": CUSTOMER, "body": "x" * 1601}, 21617),
    ],
)
def test_message_create_validation_errors(client: Client, twilio_fake: RunningTwilioFake, kwargs: dict, code: int) -> None:
    params = {"from_": BUSINESS, **kwargs}
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(**params)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert twilio_fake.control.messages() == []


def test_error_body_has_twilio_fields(twilio_fake: RunningTwilioFake, client: Client) -> None:
    answer = httpx.post(
        f"{twilio_fake.base_url}/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json",
        data={"To": "nope", "From": BUSINESS, "Body": "x"},
        auth=(twilio_fake.account_sid, twilio_fake.auth_token),
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "code": 21211,
        "message": "The 'To' number nope is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }


def test_wrong_credentials_are_20003(twilio_fake: RunningTwilioFake) -> None:
    for account_sid, token in [(twilio_fake.account_sid, "wrong-token"), ("AC" + "1" * 32, twilio_fake.auth_token)]:
        bad = sdk_client(twilio_fake.base_url, account_sid, token)
        with pytest.raises(TwilioRestException) as caught:
            bad.messages.create(to=CUSTOMER, from_=BUSINESS, body="x")
        assert (caught.value.status, caught.value.code) == (401, 20003)
    no_auth = httpx.get(f"{twilio_fake.base_url}/2010-04-01/Accounts/{twilio_fake.account_sid}/Messages.json")
    assert no_auth.status_code == 401 and no_auth.headers["WWW-Authenticate"].startswith("Basic")


def test_another_accounts_path_is_404(twilio_fake: RunningTwilioFake) -> None:
    answer = httpx.get(
        f"{twilio_fake.base_url}/2010-04-01/Accounts/AC{'2' * 32}/Messages.json",
        auth=(twilio_fake.account_sid, twilio_fake.auth_token),
    )
    assert answer.status_code == 404 and answer.json()["code"] == 20404


def test_incoming_phone_number_lifecycle(client: Client) -> None:
    created = client.incoming_phone_numbers.create(
        phone_number="+15550100002",
        sms_url="http://app.test/sms",
        voice_url="http://app.test/voice-url",
        status_callback="http://app.test/voice-status",
        friendly_name="Plumber",
    )
    assert created.sid is not None and SID.fullmatch(created.sid) and created.sid.startswith("PN")
    assert (created.sms_url, created.voice_url, created.status_callback) == (
        "http://app.test/sms",
        "http://app.test/voice-url",
        "http://app.test/voice-status",
    )
    assert created.friendly_name == "Plumber" and created.capabilities == {
        "fax": False,
        "mms": True,
        "sms": True,
        "voice": True,
    }
    fetched = client.incoming_phone_numbers(created.sid).fetch()
    assert fetched.phone_number == "+15550100002"
    updated = client.incoming_phone_numbers(created.sid).update(sms_url="http://app.test/sms2")
    assert updated.sms_url == "http://app.test/sms2" and updated.voice_url == "http://app.test/voice-url"
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number="+15550100002")] == [created.sid]
    assert client.incoming_phone_numbers.list(phone_number="+15550100003") == []
    assert len(client.incoming_phone_numbers.list()) == 2
    assert client.incoming_phone_numbers(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as caught:
        client.incoming_phone_numbers(created.sid).fetch()
    assert caught.value.code == 20404
    assert [n.phone_number for n in client.incoming_phone_numbers.list()] == [BUSINESS]


def test_number_list_pages_and_wildcards(client: Client) -> None:
    for suffix in range(2, 7):
        client.incoming_phone_numbers.create(phone_number=f"+1555010000{suffix}")
    assert len(client.incoming_phone_numbers.list(page_size=2)) == 6
    assert len(client.incoming_phone_numbers.list(phone_number="+155501000*3")) == 1
    assert len(client.incoming_phone_numbers.list(phone_number="5550100")) == 6


def test_number_create_errors(client: Client) -> None:
    with pytest.raises(TwilioRestException) as duplicate:
        client.incoming_phone_numbers.create(phone_number=BUSINESS)
    assert (duplicate.value.status, duplicate.value.code) == (400, 21422)
    with pytest.raises(TwilioRestException) as invalid:
        client.incoming_phone_numbers.create(phone_number="5550100")
    assert invalid.value.code == 21421
    by_area = client.incoming_phone_numbers.create(area_code="415")
    assert by_area.phone_number == "+14155550100"


def test_brand_registration_create_fetch_list(client: Client) -> None:
    brands = client.messaging.v1.brand_registrations
    brand = brands.create(customer_profile_bundle_sid="BU" + "1" * 32, a2p_profile_bundle_sid="BU" + "2" * 32)
    assert brand.sid is not None and SID.fullmatch(brand.sid) and brand.sid.startswith("BN")
    assert brand.status == "PENDING" and brand.brand_type == "STANDARD" and brand.date_created is not None
    assert brand.url is not None and brand.url.endswith(f"/v1/a2p/BrandRegistrations/{brand.sid}")
    assert client.messaging.v1.brand_registrations(brand.sid).fetch().status == "PENDING"
    for _ in range(4):
        brands.create(customer_profile_bundle_sid="BU1", a2p_profile_bundle_sid="BU2")
    assert len(brands.list(page_size=2)) == 5  # three v1 pages through meta.next_page_url
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.brand_registrations("BN" + "0" * 32).fetch()
    assert caught.value.code == 20404


def test_brand_registration_requires_bundles(client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.brand_registrations.create(customer_profile_bundle_sid="BU1", a2p_profile_bundle_sid="")
    assert caught.value.status == 400


def test_concurrent_creates_are_all_recorded_once(client: Client, twilio_fake: RunningTwilioFake) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def send_batch(worker: int) -> list[str]:
        sdk = twilio_fake.sdk_client()  # one HTTP session per thread, like separate app workers
        return [str(sdk.messages.create(to=CUSTOMER, from_=BUSINESS, body=f"{worker}-{i}").sid) for i in range(20)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        sids = [sid for batch in pool.map(send_batch, range(8)) for sid in batch]
    assert len(set(sids)) == 160
    recorded = twilio_fake.control.messages()
    assert sorted(m["sid"] for m in recorded) == sorted(sids)
    assert len(twilio_fake.control.requests(contains="Messages.json")) == 160
