"""Unit tests of the Stripe fake's building blocks: bracket notation, cards, signatures, catalog, periods."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stripe

from fakes.stripe.cards import check_card
from fakes.stripe.catalog import DEFAULT_PRICES, parse_catalog
from fakes.stripe.errors import StripeApiError
from fakes.stripe.objects import add_interval
from fakes.stripe.params import Params, merge_metadata, parse_form
from fakes.stripe.signing import signature_header


# -- bracket notation -------------------------------------------------------------------------------
def test_parse_form_builds_nested_dicts_and_indexed_arrays() -> None:
    parsed = parse_form(
        [
            ("mode", "subscription"),
            ("line_items[0][price]", "price_nmc_monthly"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price]", "price_b"),
            ("metadata[tenant_id]", "t_1"),
            ("subscription_data[metadata][plan]", "pro"),
        ]
    )
    assert parsed == {
        "mode": "subscription",
        "line_items": [{"price": "price_nmc_monthly", "quantity": "1"}, {"price": "price_b"}],
        "metadata": {"tenant_id": "t_1"},
        "subscription_data": {"metadata": {"plan": "pro"}},
    }


def test_parse_form_orders_indexed_arrays_by_index_not_arrival() -> None:
    assert parse_form([("expand[1]", "b"), ("expand[0]", "a"), ("expand[10]", "c")]) == {"expand": ["a", "b", "c"]}


def test_parse_form_appends_with_empty_brackets_and_groups_fields_of_one_element() -> None:
    assert parse_form([("expand[]", "customer"), ("expand[]", "latest_invoice")]) == {
        "expand": ["customer", "latest_invoice"]
    }
    grouped = parse_form(
        [("items[][price]", "p1"), ("items[][quantity]", "1"), ("items[][price]", "p2"), ("items[][quantity]", "2")]
    )
    assert grouped == {"items": [{"price": "p1", "quantity": "1"}, {"price": "p2", "quantity": "2"}]}


def test_parse_form_last_plain_value_wins() -> None:
    assert parse_form([("email", "a@x.co"), ("email", "b@x.co")]) == {"email": "b@x.co"}


@pytest.mark.parametrize(
    "pairs",
    [
        [("metadata", "x"), ("metadata[a]", "1")],
        [("metadata[a]", "1"), ("metadata", "x")],
        [("[a]", "1")],
        [("a[b", "1")],
    ],
)
def test_parse_form_rejects_contradictory_or_malformed_keys_with_a_400(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(StripeApiError) as caught:
        parse_form(pairs)
    assert caught.value.status == 400
    assert caught.value.payload["error"]["type"] == "invalid_request_error"


def test_params_convert_like_stripe_and_name_the_param_on_errors() -> None:
    params = Params(parse_form([("flag", "true"), ("count", "3"), ("bad", "yes"), ("tags", "x")]))
    assert params.boolean("flag") is True
    assert params.integer("count", minimum=1) == 3
    with pytest.raises(StripeApiError) as bad_bool:
        params.boolean("bad")
    assert bad_bool.value.param == "bad"
    with pytest.raises(StripeApiError) as not_a_list:
        params.string_list("tags")
    assert not_a_list.value.param == "tags"
    with pytest.raises(StripeApiError) as missing:
        params.string("absent", required=True)
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "absent")


def test_metadata_limits_and_unset_rule() -> None:
    too_long_key = Params({"metadata": {"k" * 41: "v"}})
    with pytest.raises(StripeApiError):
        too_long_key.metadata()
    assert merge_metadata({"a": "1", "b": "2"}, {"a": "", "c": "3"}) == {"b": "2", "c": "3"}


# -- cards ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "outcome", "message"),
    [
        ("4242 4242 4242 4242", "ok", ""),
        ("4242-4242-4242-4242", "ok", ""),
        ("4000 0000 0000 0002", "declined", "Your card was declined."),
        ("4000 0000 0000 9995", "declined", "Your card has insufficient funds."),
        ("", "invalid", "Your card number is incomplete."),
        ("4242 4242", "invalid", "Your card number is incomplete."),
        ("4242 4242 4242 4241", "invalid", "Your card number is invalid."),
        ("abcd efgh ijkl mnop", "invalid", "Your card number is invalid."),
    ],
)
def test_card_numbers_behave_like_stripe_test_mode(number: str, outcome: str, message: str) -> None:
    check = check_card(number)
    assert check.outcome == outcome
    assert check.message == message


def test_a_real_looking_non_test_card_is_declined_in_test_mode() -> None:
    check = check_card("4111 1111 1111 1111")  # Luhn-valid but not one of Stripe's test cards
    assert check.outcome == "declined"
    assert "test mode" in check.message


# -- signatures -------------------------------------------------------------------------------------
def test_signature_header_is_accepted_by_the_official_sdk_and_only_with_the_right_secret() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}})
    header = signature_header(payload, "whsec_right")
    assert header.startswith("t=") and ",v1=" in header
    event = stripe.Webhook.construct_event(payload, header, "whsec_right")
    assert event.type == "invoice.paid"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_wrong")
    assert header == stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_right", timestamp=int(header.split(",")[0][2:])
    )


# -- catalog ----------------------------------------------------------------------------------------
def test_default_catalog_has_the_monthly_pro_plan() -> None:
    monthly = next(p for p in DEFAULT_PRICES if p.id == "price_nmc_monthly")
    assert (monthly.product_name, monthly.unit_amount, monthly.currency, monthly.interval) == (
        "NeverMissCall Pro",
        4900,
        "usd",
        "month",
    )


def test_catalog_from_json_and_file(tmp_path: Path) -> None:
    text = '[{"id": "price_basic", "product_name": "Basic", "unit_amount": 900, "interval": "year"}]'
    (price,) = parse_catalog(text)
    assert (price.id, price.interval, price.currency, price.product_id) == ("price_basic", "year", "usd", "prod_basic")
    path = tmp_path / "prices.json"
    path.write_text(text)
    assert parse_catalog(f"@{path}") == (price,)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[]", "non-empty"),
        ('[{"id": "plan_x", "product_name": "X", "unit_amount": 1}]', "price_"),
        ('[{"id": "price_x", "product_name": "X", "unit_amount": -1}]', "unit_amount"),
        ('[{"id": "price_x", "product_name": "X", "unit_amount": 1, "interval": "hour"}]', "interval"),
        ('[{"id": "price_x", "product_name": "X", "unit_amount": 1, "colour": "red"}]', "colour"),
        (
            '[{"id": "price_x", "product_name": "X", "unit_amount": 1}, {"id": "price_x", "product_name": "Y", '
            '"unit_amount": 2}]',
            "repeats",
        ),
        ("@/nonexistent/prices.json", "cannot read"),
    ],
)
def test_bad_catalogs_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_catalog(text)


# -- billing periods --------------------------------------------------------------------------------
def _ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, 12, tzinfo=UTC).timestamp())


def test_monthly_periods_follow_the_calendar_and_clamp_the_day() -> None:
    assert add_interval(_ts(2025, 1, 15), "month", 1) == _ts(2025, 2, 15)
    assert add_interval(_ts(2025, 1, 31), "month", 1) == _ts(2025, 2, 28)
    assert add_interval(_ts(2024, 12, 10), "month", 2) == _ts(2025, 2, 10)
    assert add_interval(_ts(2024, 2, 29), "year", 1) == _ts(2025, 2, 28)
    assert add_interval(_ts(2025, 1, 1), "week", 2) == _ts(2025, 1, 15)
