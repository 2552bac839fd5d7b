"""What Stripe answers for the fields the fake does not model, per object type, in one place.

Real Stripe returns every field of an object on every answer: ``null``, an empty list or a default
where the account never set anything. The builders in :mod:`fakes.stripe.objects` fill in only what
the fake models (ids, amounts, statuses, periods, metadata ...) and :func:`stripe_object` lays them
over these values, so an integration reading a field the fake does not model gets what a fresh
test-mode account would give, never a ``KeyError``.

The values are those of a test-mode account with no taxes, discounts, shipping, Connect or test
clocks: the shape is Stripe's (``tests/contracts`` checks every object against Stripe's fixtures and
the ``stripe`` SDK's typed classes for the SDK's API version).
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

_NO_TAX = {"enabled": False, "liability": None}

UNMODELLED: dict[str, Obj] = {
    "customer": {
        "business_name": None,
        "customer_account": None,
        "individual_name": None,
        "invoice_settings": {"rendering_options": None},
        "next_invoice_sequence": 1,
        "test_clock": None,
    },
    "product": {
        "marketing_features": [],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "tax_details": None,
        "unit_label": None,
    },
    "price": {},
    "webhook_endpoint": {},
    "plan": {
        "meter": None,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
    },
    "checkout.session": {
        "adaptive_pricing": {"enabled": False},
        "allowed_payment_method_types": None,
        "automatic_tax": {**_NO_TAX, "provider": None, "status": None},
        "branding_settings": None,
        "client_secret": None,  # only embedded (not hosted) sessions have one
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
        "customer_account": None,
        "discounts": [],
        "excluded_payment_method_types": None,
        "integration_identifier": None,
        "invoice_creation": None,  # payment mode only; subscriptions always invoice
        "managed_payments": None,
        "name_collection": None,
        "optional_items": None,
        "origin_context": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "presentment_details": None,
        "recovered_from": None,
        "redirect_on_completion": None,  # hosted sessions redirect to success_url
        "return_url": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "submit_type": None,
        "tax_id_collection": {"enabled": False, "required": "never"},
        "total_details": {"breakdown": None},
        "wallet_options": None,
    },
    "checkout.session.customer_details": {
        "address": None,
        "business_name": None,
        "individual_name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    },
    "item": {
        "adjustable_quantity": None,
        "discounts": [],
        "metadata": {},
        "taxes": [],
    },
    "subscription": {
        "application_fee_percent": None,
        "automatic_tax": {**_NO_TAX, "disabled_reason": None},
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [],
        "billing_thresholds": None,
        "customer_account": None,
        "default_source": None,
        "default_tax_rates": [],
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "managed_payments": None,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "presentment_details": None,
        "schedule": None,
        "status_details": None,
        "test_clock": None,
        "transfer_data": None,
        "trial_settings": {"end_behavior": {"billing_cycle_anchor": None, "missing_payment_method": "create_invoice"}},
    },
    "subscription.cancellation_details": {"comment": None, "feedback": None, "feedback_option": None, "reason": None},
    "subscription_item": {
        "billed_until": None,
        "billing_thresholds": None,
        "current_trial": None,
        "discounts": [],
    },
    "invoice": {
        "account_name": None,
        "account_tax_ids": None,
        "amount_overpaid": 0,
        "amount_paid_off_stripe": 0,
        "amount_shipping": 0,
        "application": None,
        "auto_advance": True,
        "automatic_tax": {**_NO_TAX, "disabled_reason": None, "provider": None, "status": None},
        "automatically_finalizes_at": None,
        "confirmation_secret": None,
        "custom_fields": None,
        "customer_account": None,
        "customer_address": None,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,  # charge_automatically invoices have none
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "on_behalf_of": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status_details": None,
        "test_clock": None,
        "threshold_reason": None,
        "total_discount_amounts": [],
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    },
    "invoice.parent.subscription_details": {"subscription_proration_date": None},
    "line_item": {
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "pretax_credit_amounts": [],
        "quantity_decimal": None,
        "taxes": [],
    },
    "billing_portal.session": {
        "after_expiration": None,
        "customer_account": None,
    },
    # ``account`` and ``context`` are left out, as Stripe does for events of the platform account itself.
    "event": {},
}


def _layered(defaults: Any, modelled: Any) -> Any:
    """``modelled`` over ``defaults``; where both are objects, key by key (nested defaults survive)."""
    if isinstance(defaults, dict) and isinstance(modelled, dict):
        merged = copy.deepcopy(defaults)
        for key, value in modelled.items():
            merged[key] = _layered(merged[key], value) if key in merged else value
        return merged
    return modelled


def stripe_object(kind: str, modelled: Obj) -> Obj:
    """The complete object: ``id`` and ``object`` first, then every field in Stripe's alphabetical order."""
    merged = _layered(UNMODELLED[kind], modelled)
    head = {key: merged.pop(key) for key in ("id", "object") if key in merged}
    return head | dict(sorted(merged.items()))
