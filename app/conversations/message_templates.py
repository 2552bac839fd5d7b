"""The texts the assistant sends, as templates that fail fast on a missing variable.

`render("first_reply", business_name=...)` raises `TemplateVariableMissing` naming the template and the
variable instead of sending a text with a hole in it. Variables are plain `{name}` fields; attribute or
index access is refused when the template is defined, so a template can never reach into objects.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

TEMPLATES: dict[str, str] = {
    "first_reply": (
        "Hi, this is {business_name}. Sorry we missed your call! How can we help? "
        "Tell us what you need and we'll get right back to you. Reply STOP to opt out."
    ),
    "help": (
        "{business_name}: reply to this text with what you need and we'll help, or call us at {business_phone}. "
        "Msg & data rates may apply. Reply STOP to opt out."
    ),
    "handoff": (
        "Thanks! I've passed your message to the team at {business_name}. Someone will get back to you shortly."
    ),
    "resubscribed": (
        "You're subscribed again to texts from {business_name}. Reply HELP for help, STOP to opt out."
    ),
}


class TemplateError(ValueError):
    """A template is malformed or was rendered without a variable it needs."""


class TemplateVariableMissing(TemplateError):
    def __init__(self, template_name: str, missing: list[str], given: list[str]) -> None:
        names = ", ".join(repr(m) for m in missing)
        super().__init__(
            f"message template {template_name!r} needs variable{'s' if len(missing) > 1 else ''} {names}"
            f" (given: {', '.join(given) or 'none'})"
        )
        self.template_name = template_name
        self.missing = missing


def variables_of(template: str, *, name: str = "message") -> list[str]:
    """The variable names a template uses, in order; malformed templates raise TemplateError."""
    found: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"message template {name!r} is malformed: {exc}") from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise TemplateError(f"message template {name!r} has an invalid field {{{field}}}: use plain names")
        if spec or conversion:
            raise TemplateError(f"message template {name!r} field {{{field}}} must not use format specs")
        if field not in found:
            found.append(field)
    return found


def render_text(template: str, variables: Mapping[str, object], *, name: str = "message") -> str:
    """Fills `template` from `variables`; every variable must be given (and not None)."""
    needed = variables_of(template, name=name)
    missing = [v for v in needed if variables.get(v) is None]
    if missing:
        raise TemplateVariableMissing(name, missing, sorted(variables))
    return template.format_map({v: str(variables[v]) for v in needed})


def render(template_name: str, **variables: object) -> str:
    """Renders one of TEMPLATES by name."""
    try:
        template = TEMPLATES[template_name]
    except KeyError:
        raise TemplateError(f"no message template named {template_name!r}") from None
    return render_text(template, variables, name=template_name)


for _name, _template in TEMPLATES.items():  # a broken built-in template fails at import, not at send time
    variables_of(_template, name=_name)
