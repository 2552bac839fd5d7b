"""Does a JSON object from the Stripe fake have the shape Stripe publishes for it?

Two independent descriptions, both Stripe's own:

* ``fixtures3.json`` (``specs/stripe_fixtures3.json``): Stripe's canonical example of every object.
  Every field of the example must be present, with a compatible JSON type, recursively into nested
  objects and list items. It says nothing about nullability or enums (an example is one value).
* the installed ``stripe`` SDK's typed classes (``stripe.checkout.Session`` ...): their annotations
  are generated from Stripe's OpenAPI document for the SDK's API version, so they say which fields
  exist, which may be null (``Optional``) and which values an enum takes (``Literal``). Every field
  the class declares must be present (except the few Stripe only returns when asked for, below),
  null only where ``Optional``, enums within the ``Literal`` values, nested objects recursively.

Each check returns a list of problems (``"checkout.session.automatic_tax.liability: missing"``), so
a failing test names every wrong field at once.
"""

from __future__ import annotations

import decimal
import inspect
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

import stripe
from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject, UntypedStripeObject

SPECS = Path(__file__).parent / "specs"

#: The SDK class of each ``object`` value the fake serves.
SDK_CLASSES: dict[str, type[StripeObject]] = {
    "billing_portal.session": stripe.billing_portal.Session,
    "checkout.session": stripe.checkout.Session,
    "customer": stripe.Customer,
    "event": stripe.Event,
    "invoice": stripe.Invoice,
    "item": stripe.LineItem,
    "line_item": stripe.InvoiceLineItem,
    "plan": stripe.Plan,
    "price": stripe.Price,
    "product": stripe.Product,
    "subscription": stripe.Subscription,
    "subscription_item": stripe.SubscriptionItem,
    "webhook_endpoint": stripe.WebhookEndpoint,
}

#: Fields a default answer rightly lacks although the SDK class declares them: Stripe returns them
#: only when the request asks (``expand[]``, "includable"), or only where they apply.
OMITTED_UNLESS_ASKED_OR_SET: dict[type, frozenset[str]] = {
    stripe.checkout.Session: frozenset({"line_items"}),
    stripe.Customer: frozenset({"cash_balance", "invoice_credit_balance", "sources", "subscriptions", "tax", "tax_ids"}),
    stripe.Invoice: frozenset({"payments"}),
    stripe.Price: frozenset({"currency_options", "tiers"}),
    stripe.Plan: frozenset({"tiers"}),
    stripe.WebhookEndpoint: frozenset({"secret"}),  # shown once, on the answer to create
    stripe.Event: frozenset({"account", "context"}),
    # the connected account, only when the issuer is one (Stripe's fixtures show {"type": "self"})
    stripe.Invoice.Issuer: frozenset({"account"}),
    stripe.Subscription.InvoiceSettings.Issuer: frozenset({"account"}),  # only on events of connected accounts
    stripe.Event.Data: frozenset({"previous_attributes"}),  # only on *.updated events
}
#: Objects Stripe sends sparse: only the fields that are set (an error names no charge, no source...).
#: ``payment_method_options`` is a map with an entry per payment method configured on the session.
SPARSE = (stripe.ErrorObject, stripe.checkout.Session.PaymentMethodOptions)
#: ``deleted: Literal[True]`` is only on the answer to a DELETE (checked against ``deleted_*`` fixtures).
ONLY_ON_DELETION = "deleted"
#: Parts of a fixture that are an example of another object type (checked as that type instead).
POLYMORPHIC = {"event": ("event.data.object", "event.data.previous_attributes")}


@cache
def fixtures() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads((SPECS / "stripe_fixtures3.json").read_text())["resources"]
    return resources


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# -- fixtures3.json ---------------------------------------------------------------------------------
def fixture_problems(obj: Any, example: Any, path: str) -> list[str]:
    """Every field of Stripe's example present in ``obj`` with a compatible JSON type.

    ``null`` in ``obj`` is accepted here (the example cannot say whether a field is nullable; the
    SDK check does), and so is an expanded object where the example shows an id.
    """
    if example is None or obj is None or path in POLYMORPHIC.get(path.split(".")[0], ()):
        return []
    want, got = _json_type(example), _json_type(obj)
    if want == "string" and got == "object" and "id" in obj and "object" in obj:
        return []  # an expandable field, expanded
    if want != got:
        return [f"{path}: {got} where Stripe's fixture has {want} ({example!r:.60})"]
    problems: list[str] = []
    if isinstance(example, dict):
        if path.endswith("metadata") or not example:
            return []  # free-form maps
        for key, sub_example in example.items():
            if key not in obj:
                problems.append(f"{path}.{key}: missing (Stripe's fixture has {sub_example!r:.60})")
            else:
                problems += fixture_problems(obj[key], sub_example, f"{path}.{key}")
    elif isinstance(example, list) and example:
        for index, item in enumerate(obj):
            problems += fixture_problems(item, example[0], f"{path}[{index}]")
    return problems


def check_fixture(obj: dict[str, Any], object_type: str | None = None) -> list[str]:
    object_type = object_type or obj["object"]
    return fixture_problems(obj, fixtures()[object_type], object_type)


# -- the stripe SDK's typed classes -----------------------------------------------------------------
def _declared_fields(cls: type) -> dict[str, Any]:
    annotations = inspect.get_annotations(cls)  # the class's own, not its bases'
    return {name: hint for name, hint in annotations.items() if get_origin(hint) is not typing.ClassVar}


def _resolve(ref: ForwardRef) -> type | None:
    found = getattr(stripe, ref.__forward_arg__, None)
    return found if isinstance(found, type) else None


def _is_object_class(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, StripeObject)


def value_problems(value: Any, hint: Any, path: str) -> list[str]:
    """``value`` (JSON) against one SDK annotation."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any or isinstance(hint, typing.TypeVar):
        return []
    if origin in (Union, types.UnionType):
        if value is None:
            return [] if type(None) in args else [f"{path}: null, but the SDK declares it non-nullable ({hint})"]
        choices = [a for a in args if a is not type(None)]
        if any(get_origin(a) is Literal for a in choices):
            # Stripe's enums are typed "Literal[...] | str" so old SDKs survive new values; the
            # published values are the Literal ones, and those are what a fake must send.
            choices = [a for a in choices if a is not str]
        attempts = [value_problems(value, choice, path) for choice in choices]
        if any(not a for a in attempts):
            return []
        if isinstance(value, dict):  # report why the object is not the object the SDK expects
            attempts = [a for a, c in zip(attempts, choices, strict=True) if c not in (str, int, bool, float)] or attempts
        return min(attempts, key=len)
    if value is None:
        return [f"{path}: null, but the SDK declares it non-nullable ({hint})"]
    if origin is Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of the published values {list(args)}"]
    if isinstance(hint, str):
        hint = ForwardRef(hint)
    if isinstance(hint, ForwardRef):  # a resource named, not imported, by the SDK: an id or the object
        if isinstance(value, str):
            return []
        target = _resolve(hint)
        if isinstance(value, dict):
            return object_problems(value, target, path) if target else []
        return [f"{path}: {_json_type(value)}, want an id or an expanded {hint.__forward_arg__}"]
    if hint is decimal.Decimal:  # Stripe sends decimals as strings ("4900")
        return [] if isinstance(value, str) else [f"{path}: {_json_type(value)}, want a decimal string"]
    if hint in (str, int, bool, float):
        ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
        if hint is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {_json_type(value)} {value!r:.40}, want {hint.__name__}"]
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's own spelling
        if not isinstance(value, list):
            return [f"{path}: {_json_type(value)}, want a list"]
        return [p for i, item in enumerate(value) for p in value_problems(item, args[0], f"{path}[{i}]")]
    if origin in (dict, typing.Dict) or origin is UntypedStripeObject or hint is UntypedStripeObject:  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{path}: {_json_type(value)}, want an object (map)"]
        inner = args[-1] if args else Any
        return [p for k, v in value.items() for p in value_problems(v, inner, f"{path}.{k}")]
    if origin is ListObject or hint is ListObject:
        if not isinstance(value, dict) or value.get("object") != "list":
            return [f"{path}: want a list object {{'object': 'list', ...}}"]
        problems = object_problems(value, ListObject, path)
        item_hint = args[0] if args else Any
        for index, item in enumerate(value["data"]):
            problems += value_problems(item, item_hint, f"{path}.data[{index}]")
        return problems
    if _is_object_class(hint):
        if not isinstance(value, dict):
            return [f"{path}: {_json_type(value)}, want an object ({hint.__name__})"]
        return object_problems(value, hint, path)
    return [f"{path}: the contract check does not know the SDK annotation {hint!r}"]


def object_problems(obj: dict[str, Any], cls: type, path: str) -> list[str]:
    """Every field ``cls`` declares present in ``obj`` with a value its annotation allows."""
    problems: list[str] = []
    skip = OMITTED_UNLESS_ASKED_OR_SET.get(cls, frozenset())
    for name, hint in _declared_fields(cls).items():
        if name not in obj:
            optional = get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)
            if name not in skip and name != ONLY_ON_DELETION and not (cls in SPARSE and optional):
                problems.append(f"{path}.{name}: missing (the stripe SDK declares it: {hint})")
            continue
        problems += value_problems(obj[name], hint, f"{path}.{name}")
    return problems


def check_sdk(obj: dict[str, Any], object_type: str | None = None) -> list[str]:
    """The SDK check, plus reading every declared field through the SDK object itself."""
    object_type = object_type or obj["object"]
    cls = SDK_CLASSES[object_type]
    problems = object_problems(obj, cls, object_type)
    typed = cls.construct_from(obj, "sk_test_contract")
    for name in _declared_fields(cls):
        if name in obj and getattr(typed, name) is None and obj[name] is not None:
            problems.append(f"{object_type}.{name}: the SDK object reads None where the JSON has {obj[name]!r:.40}")
    return problems


def conformance_problems(obj: dict[str, Any], object_type: str | None = None) -> list[str]:
    """Both checks; the empty list means the object has Stripe's published shape."""
    return check_fixture(obj, object_type) + check_sdk(obj, object_type)
