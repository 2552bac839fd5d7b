"""HTML for the hosted checkout page and the customer portal.

Plain server-rendered pages with hand-written CSS and no JavaScript: a heading, labelled fields,
named buttons and ``role="alert"`` messages, so Playwright can drive them by role and label — the way
the app's e2e page objects drive Stripe-hosted pages in the real world.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from fakes.stripe.objects import Obj, period_end

_ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "jpy": "¥"}

_CSS = """
:root { color-scheme: light; --ink: #1a1f36; --muted: #4f566b; --accent: #4e44ce; --danger: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f6f8fa;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
main { width: min(28rem, 92vw); background: #fff; border-radius: 12px; padding: 2rem;
       box-shadow: 0 2px 12px rgba(26, 31, 54, .12); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.test-mode { display: inline-block; margin: 0 0 1rem; padding: .1rem .5rem; border-radius: 4px;
             background: #ffde92; color: #5c3b00; font-size: .8rem; font-weight: 600; }
.amount { font-size: 2rem; font-weight: 700; margin: .25rem 0 1rem; }
.amount span { font-size: 1rem; font-weight: 400; color: var(--muted); }
.muted { color: var(--muted); }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input { width: 100%; padding: .65rem .75rem; font: inherit; border: 1px solid #a3acb9; border-radius: 6px; }
input[aria-invalid="true"] { border-color: var(--danger); }
input:focus, button:focus-visible, a:focus-visible { outline: 3px solid #a5a0ff; outline-offset: 1px; }
.error { color: var(--danger); margin: .5rem 0 0; font-weight: 600; }
.notice { background: #e8f5e9; color: #1b5e20; padding: .6rem .8rem; border-radius: 6px; }
.actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
button, .button { flex: 1; padding: .7rem 1rem; font: inherit; font-weight: 600; border-radius: 6px; cursor: pointer;
                  border: 1px solid var(--accent); background: var(--accent); color: #fff; text-align: center;
                  text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
form.inline { display: flex; flex: 1; margin: 0; }
ul.subscriptions { list-style: none; padding: 0; margin: 0; }
ul.subscriptions li { border: 1px solid #e3e8ee; border-radius: 8px; padding: 1rem; margin-bottom: .75rem; }
ul.subscriptions h3 { margin: 0; font-size: 1rem; }
"""


def money(amount: int, currency: str) -> str:
    """4900, "usd" -> "$49.00" (zero-decimal currencies such as JPY have no cents)."""
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in _ZERO_DECIMAL:
        return f"{symbol}{amount:,}"
    return f"{symbol}{amount / 100:,.2f}"


def per_interval(price: Obj) -> str:
    recurring = price.get("recurring") or {}
    interval, count = recurring.get("interval", "month"), recurring.get("interval_count", 1)
    return f"per {interval}" if count == 1 else f"every {count} {interval}s"


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%B %-d, %Y")


def _page(title: str, body: str, *, status_note: str = "Test mode") -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<p class="test-mode">{escape(status_note)}</p>\n{body}\n</main>\n</body>\n</html>\n'
    )


def checkout_page(session: Obj, line_item: Obj, *, card_number: str = "", error: str | None = None) -> str:
    """The payment form of an open session; ``error`` is shown as an alert next to the card field."""
    price = line_item["price"]
    plan = str(price.get("nickname") or line_item["description"])
    amount = money(int(session["amount_total"]), str(session["currency"]))
    session_id = escape(session["id"])
    email = session.get("customer_email")
    email_line = f'<p class="muted">Billed to {escape(email)}</p>' if email else ""
    quantity = int(line_item["quantity"])
    quantity_line = f'<p class="muted">Quantity: {quantity}</p>' if quantity != 1 else ""
    invalid = ' aria-invalid="true" aria-describedby="card-error"' if error else ""
    error_line = f'<p id="card-error" class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""<h1>Subscribe to {escape(plan)}</h1>
<p class="amount">{escape(amount)} <span>{escape(per_interval(price))}</span></p>
{email_line}{quantity_line}
<form method="post" action="/checkout/{session_id}/pay" novalidate>
<label for="card-number">Card number</label>
<input id="card-number" name="card_number" type="text" inputmode="numeric" autocomplete="cc-number"
       placeholder="1234 1234 1234 1234" value="{escape(card_number)}"{invalid}>
{error_line}
<div class="actions">
<button type="submit">Pay</button>
<button type="submit" class="secondary" formaction="/checkout/{session_id}/cancel" formnovalidate>Cancel</button>
</div>
</form>"""
    return _page(f"Checkout: {plan}", body)


def checkout_gone_page(session: Obj | None, session_id: str) -> str:
    """Unknown, expired or already completed sessions: say which, plainly."""
    if session is None:
        heading, text = "Checkout session not found", f"There is no checkout session with id {session_id}."
    elif session["status"] == "expired":
        heading, text = "This checkout session has expired", "Return to the site and start checkout again."
    else:
        heading, text = "This checkout session is already complete", "Your payment has been received."
    link = ""
    if session is not None and session["status"] == "complete" and session.get("success_url"):
        target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
        link = f'<p><a class="button" href="{escape(target)}">Continue</a></p>'
    return _page(heading, f"<h1>{escape(heading)}</h1>\n<p>{escape(text)}</p>\n{link}")


def checkout_done_page(heading: str, text: str) -> str:
    """Shown when a session has no success_url / cancel_url to send the customer to."""
    return _page(heading, f"<h1>{escape(heading)}</h1>\n<p>{escape(text)}</p>")


def portal_page(portal: Obj, customer: Obj, subscriptions: list[Obj], *, notice: str | None = None) -> str:
    rows = []
    for sub in subscriptions:
        item = sub["items"]["data"][0]
        price = item["price"]
        status = str(sub["status"]).replace("_", " ")
        amount = money(int(price["unit_amount"]) * int(item["quantity"]), str(price["currency"]))
        if sub["status"] == "canceled":
            when = f"Canceled on {_date(int(sub['canceled_at'] or period_end(sub)))}"
            action = ""
        else:
            when = (
                f"Cancels on {_date(period_end(sub))}"
                if sub["cancel_at_period_end"]
                else f"Renews on {_date(period_end(sub))}"
            )
            action = (
                f'<form method="post" action="/portal/{escape(portal["id"])}/subscriptions/'
                f'{escape(sub["id"])}/cancel"><button type="submit" class="danger">Cancel subscription'
                "</button></form>"
            )
        rows.append(
            f'<li data-testid="portal-subscription">\n<h3>{escape(str(price["nickname"]))}</h3>\n'
            f"<p>{escape(amount)} {escape(per_interval(price))}</p>\n"
            f'<p>Status: <strong data-testid="portal-subscription-status">{escape(status)}</strong></p>\n'
            f'<p class="muted">{escape(when)}</p>\n{action}\n</li>'
        )
    listing = "\n".join(rows) if rows else "<li>You have no subscriptions.</li>"
    notice_line = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    who = customer.get("email") or customer["id"]
    return_link = (
        f'<p class="actions"><a class="button secondary" href="{escape(portal["return_url"])}">Return</a></p>'
        if portal.get("return_url")
        else ""
    )
    body = f"""<h1>Manage billing</h1>
<p class="muted">Signed in as {escape(str(who))}</p>
{notice_line}
<h2>Subscriptions</h2>
<ul class="subscriptions">
{listing}
</ul>
{return_link}"""
    return _page("Manage billing", body)
