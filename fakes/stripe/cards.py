"""Test card numbers, checked the way Stripe's test mode does.

Stripe test mode accepts only its documented test cards: some succeed, some decline with a
specific reason, and a Luhn-valid card that is not a test card is declined too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"

#: Documented test cards that are accepted (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay).
SUCCEEDING_TEST_CARDS = frozenset(
    {
        SUCCESS_CARD,
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "5105105105105100",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    }
)

#: Documented decline cards: number -> (decline_code, the message Checkout shows).
DECLINING_TEST_CARDS = {
    DECLINE_CARD: ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("lost_card", "Your card was declined."),
    "4000000000009979": ("stolen_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", "An error occurred while processing your card. Try again."),
}


@dataclass(frozen=True)
class CardCheck:
    """Outcome of a card number: ``ok``, or ``declined``/``invalid`` with the message to show."""

    outcome: str
    message: str = ""
    decline_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def normalize(number: str) -> str:
    """Spaces and dashes are how people type card numbers; drop them."""
    return re.sub(r"[\s-]", "", number)


def check_card(number: str) -> CardCheck:
    digits = normalize(number)
    if not digits:
        return CardCheck("invalid", "Your card number is incomplete.")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        if digits.isdigit() and len(digits) < 13:
            return CardCheck("invalid", "Your card number is incomplete.")
        return CardCheck("invalid", "Your card number is invalid.")
    if digits in SUCCEEDING_TEST_CARDS:
        return CardCheck("ok")
    if digits in DECLINING_TEST_CARDS:
        code, message = DECLINING_TEST_CARDS[digits]
        return CardCheck("declined", message, code)
    return CardCheck(
        "declined",
        "Your card was declined. Your request was in test mode, but used a non test card. "
        "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
        "live_mode_test_card",
    )
