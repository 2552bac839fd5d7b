"""Opt-out keywords (table-driven) and message templates that fail fast."""

from __future__ import annotations

import pytest

from app.compliance.keywords import Keyword, classify
from app.conversations import message_templates
from app.conversations.message_templates import TemplateError, TemplateVariableMissing

STOP_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]


@pytest.mark.parametrize("word", STOP_WORDS)
@pytest.mark.parametrize("shape", [str.upper, str.lower, str.title, lambda w: f"  {w}\n"])
def test_every_opt_out_word_in_any_case_opts_out(word: str, shape: object) -> None:
    text = shape(word)  # type: ignore[operator]
    assert classify(text, opted_out=False) == Keyword.STOP
    assert classify(text, opted_out=True) == Keyword.STOP


KEYWORD_TABLE = [
    # (text, opted out?, expected)
    ("START", True, Keyword.START),
    ("start", False, Keyword.START),
    ("UNSTOP", True, Keyword.START),
    ("yes", True, Keyword.START),
    ("YES", False, None),  # an ordinary answer (e.g. confirming a booking) unless opted out
    ("HELP", False, Keyword.HELP),
    ("info", True, Keyword.HELP),
    ("stop it please", False, None),  # only a single word counts
    ("please stop", False, None),
    ("STOP!", False, None),
    ("", False, None),
    ("Can you fix a leaking tap?", False, None),
]


@pytest.mark.parametrize(("text", "opted_out", "expected"), KEYWORD_TABLE)
def test_keyword_table(text: str, opted_out: bool, expected: Keyword | None) -> None:
    assert classify(text, opted_out=opted_out) == expected


def test_a_template_renders_with_its_variables() -> None:
    text = message_templates.render("help", business_name="Ace Plumbing", business_phone="+15550100100")
    assert text.startswith("Ace Plumbing:") and "+15550100100" in text and "STOP" in text


def test_a_missing_variable_fails_fast_naming_the_template_and_the_variable() -> None:
    with pytest.raises(TemplateVariableMissing) as missing:
        message_templates.render("help", business_name="Ace Plumbing")
    assert "'help'" in str(missing.value) and "'business_phone'" in str(missing.value)
    assert missing.value.missing == ["business_phone"]


def test_a_none_value_counts_as_missing() -> None:
    with pytest.raises(TemplateVariableMissing, match="business_name"):
        message_templates.render("first_reply", business_name=None)


def test_free_text_templates_fail_fast_too() -> None:
    with pytest.raises(TemplateVariableMissing, match=r"'reminder' needs variables 'name', 'time'"):
        message_templates.render_text("Hi {name}, see you at {time}", {}, name="reminder")


@pytest.mark.parametrize("template", ["Hi {user.name}", "Hi {items[0]}", "Total {amount:.2f}", "Hi {name!r}", "Hi {"])
def test_templates_cannot_reach_into_objects_or_format(template: str) -> None:
    with pytest.raises(TemplateError):
        message_templates.render_text(template, {"user": object(), "items": [1], "amount": 1, "name": "x"})


def test_unknown_template_names_are_an_error() -> None:
    with pytest.raises(TemplateError, match="no message template named 'nope'"):
        message_templates.render("nope")


def test_every_built_in_template_declares_plain_variables() -> None:
    for name, template in message_templates.TEMPLATES.items():
        assert message_templates.variables_of(template, name=name)
