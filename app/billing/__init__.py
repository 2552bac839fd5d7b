"""Billing: the tenant's NeverMissCall plan, bought through Stripe Checkout and mirrored from Stripe's webhooks.

Stripe is the source of truth. The app starts Checkout and billing-portal sessions through the official
`stripe` SDK (`gateway.py`), receives signed webhooks (`api.py`), and mirrors each subscription into
`bill_subscriptions`; the tenant's `billing_state` (none / active / past_due / canceled) is derived from
those rows (`service.py`) and shown in a banner on every page (`views.py`).
"""
