"""[auth] Signing in and out through the form, refusals, lockout, session expiry and roles."""

from __future__ import annotations

import base64
import html
import ipaddress
import json
import re
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from e2e.support import StripeFakeClient, TenantHandle, TenantSeeder, TwilioFakeClient, bearer, skip_outside_app
from pages.banners import BILLING_BANNER_TEST_ID, COMPLIANCE_BANNER_TEST_ID
from pages.billing import BillingPage
from pages.calendar import CalendarPage, GoogleConsentPage
from pages.errors import ErrorPage
from pages.flows import open_inbox, sign_in, sign_out
from pages.inbox import InboxPage
from pages.login import LoginPage
from seed import http
from seed.handle import storage_state
from stack.description import Stack

SESSION_COOKIE = "nmc_session"  # the app's session cookie (its name is part of what a browser keeps)

pytestmark = pytest.mark.auth

#: Pages only an OWNER may open (path, navigation label). A TECH gets 403 and no link.
OWNER_ONLY_PAGES = [("/billing", "Billing"), ("/compliance", "Compliance"), ("/catalog", "Catalog")]
OWNER_ONLY = "Only the business owner can open this page."
DEACTIVATED = "This account has been deactivated."
WRONG_CREDENTIALS = "Wrong email or password."
FORM_EXPIRED = "The form has expired or was not sent from this site. Reload the page and try again."
LOCKED_OUT = "Too many failed sign-in attempts. Try again in 5 minutes."  # LOGIN_LOCKOUT_SECONDS = 300
MAX_FAILURES = 5  # LOGIN_MAX_FAILURES: the 5th wrong password in a row locks the email
IP_MAX_FAILURES = 200  # LOGIN_IP_MAX_FAILURES of the e2e stack (playwright.config.toml), within 10 minutes
SESSION_TTL_S = 8 * 3600  # SESSION_TTL_SECONDS


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a session token as the browser holds it (read, not verified: the app verifies)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_login_form_signs_the_owner_in_for_the_session_lifetime(page: Page, tenant: TenantHandle,
                                                                stack: Stack) -> None:
    # A sign-in link that would send the owner to another site after signing in lands in the app instead.
    page.goto("/login?next=//evil.example/steal")
    # The email as a phone keyboard may type it (capitalised, a trailing space): the same account.
    LoginPage(page).sign_in(tenant.owner.email.upper() + " ", tenant.owner.password)
    inbox = InboxPage(page).expect_loaded()
    assert page.url.startswith(stack.base_url), page.url
    inbox.navigation.expect_current("Inbox")
    inbox.navigation.expect_link("Billing")  # the owner's menu
    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax", cookie
    assert abs(cookie["expires"] - (time.time() + SESSION_TTL_S)) < 300, cookie  # Max-Age: 8 h from now
    claims = jwt_claims(cookie["value"])
    assert claims["exp"] - claims["iat"] == SESSION_TTL_S, claims
    assert (claims["sub"], claims["tid"], claims["role"]) == (tenant.owner.user_id, tenant.id, "OWNER")
    # Nor do the spellings a browser also reads as another site ("\" is "/" to it; tabs and newlines are
    # dropped): the sign-in form carries "/" on instead. A path of the app's own is kept.
    for link in ("/\\evil.example/steal", "/\t/evil.example/steal", "/\\/evil.example", "/inbox?page=2"):
        form = http.get(f"{stack.base_url}/login", params={"next": link}, timeout=30).text
        kept = re.search(r'name="next" value="([^"]*)"', form)
        assert kept and html.unescape(kept.group(1)) == (link if link == "/inbox?page=2" else "/"), (link, kept)


def test_wrong_password_is_refused_with_a_message(page: Page, tenant: TenantHandle) -> None:
    login = LoginPage(page).goto()
    login.sign_in_refused(tenant.owner.email, tenant.owner.password + "-wrong", error=WRONG_CREDENTIALS, status=401)
    expect(login.email).to_have_value(tenant.owner.email)  # kept, so only the password is typed again
    login.navigation.expect_no_link("Inbox")
    # An unknown email reads the same: the form does not tell which emails have an account.
    login.sign_in("nobody-" + tenant.owner.email, tenant.owner.password)
    login.expect_error(WRONG_CREDENTIALS)
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def test_repeated_wrong_passwords_lock_the_email_out(page: Page, new_context: CreateContextCallback,
                                                     tenant: TenantHandle, stack: Stack) -> None:
    owner, wrong = tenant.owner, tenant.owner.password + "-wrong"
    token_url = f"{stack.base_url}/api/v1/auth/token"
    # A password longer than the API takes is refused by its schema (not counted as a failure), and the answer
    # names the field without echoing the password: error bodies end up in proxies' and clients' logs.
    too_long = http.post(token_url, json={"email": owner.email, "password": owner.password + "x" * 1024}, timeout=30)
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_error"), too_long.text
    assert [e["loc"] for e in too_long.json()["detail"]] == [["body", "password"]], too_long.text
    assert owner.password not in too_long.text, too_long.text
    # API clients sign in with the same password, and the same count: one short of the limit, then the right
    # password, and counting starts again (the form below would lock out early otherwise).
    for _ in range(MAX_FAILURES - 1):
        refused = http.post(token_url, json={"email": owner.email, "password": wrong}, timeout=30)
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid_credentials"), refused.text
    token = http.post(token_url, json={"email": owner.email, "password": owner.password}, timeout=30)
    assert token.status_code == 200 and token.json()["expires_in"] == SESSION_TTL_S, token.text
    with bearer(stack, token.json()["access_token"]) as api:
        assert api.get("/api/v1/me").json()["user_id"] == owner.user_id
    # The scheme's letter case is the client's choice (RFC 9110): "bearer" works as well as "Bearer".
    lower_case = http.get(f"{stack.base_url}/api/v1/me", timeout=30,
                          headers={"Authorization": f"bearer {token.json()['access_token']}"})
    assert lower_case.status_code == 200, lower_case.text
    login = LoginPage(page).goto()
    # One short of the limit, then the right password: signed in, and the count starts again.
    for _ in range(MAX_FAILURES - 1):
        login.sign_in(owner.email, wrong)
        login.expect_error(WRONG_CREDENTIALS)
    login.sign_in_as(owner)
    InboxPage(page).expect_loaded()
    login = sign_out(page)
    # The limit, counted from zero after that sign-in, whatever the email's letter case (it is one email): the 5th
    # failure still reads "wrong password"...
    for n in range(MAX_FAILURES):
        login.sign_in(owner.email.upper() if n % 2 else owner.email, wrong)
        login.expect_error(WRONG_CREDENTIALS)
    # ...and from then on even the right password is refused, on the form and the API alike.
    login.sign_in_refused(owner.email, owner.password, error=LOCKED_OUT, status=429)
    locked = http.post(token_url, json={"email": owner.email, "password": owner.password}, timeout=30)
    assert (locked.status_code, locked.json()["code"]) == (429, "login_locked"), locked.text
    # The lockout is the owner's email's alone: the tech of the same business signs in.
    sign_in(new_context().new_page(), tenant.tech)


def test_many_failed_sign_ins_from_one_address_refuse_it_for_every_email(tenant: TenantHandle, stack: Stack) -> None:
    """Password spraying: a few passwords tried against many emails stays under every email's lockout, so the
    failures of one client address are counted too (LOGIN_IP_MAX_FAILURES in 10 minutes), across all emails."""
    host = urlsplit(stack.base_url).hostname or ""
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        skip_outside_app("not_on_loopback", f"the app is at {host}")
    # An address of this test's own (all of 127/8 is loopback), so no other test's failures count, nor its own
    # from an earlier repetition (make flake-check).
    address = str(ipaddress.IPv4Address(0x7F000000 + secrets.randbelow(0xFFFFFF - 2) + 2))
    token_path = "/api/v1/auth/token"
    with http.client(base_url=stack.base_url, timeout=30,
                     transport=httpx.HTTPTransport(local_address=address)) as sprayer:
        for n in range(IP_MAX_FAILURES):
            if n == IP_MAX_FAILURES - 1:  # the sprayer's own account, once: a success wipes none of the failures
                own = sprayer.post(token_path, json={"email": tenant.tech.email, "password": tenant.tech.password})
                assert own.status_code == 200, own.text
            refused = sprayer.post(token_path, json={"email": f"nobody{n}@{tenant.id}.example.test",
                                                     "password": "Winter2026!"})
            assert (refused.status_code, refused.json()["code"]) == (401, "invalid_credentials"), (n, refused.text)
        # The limit reached: the next sign-in from that address is refused, even with the right password...
        limited = sprayer.post(token_path, json={"email": tenant.owner.email, "password": tenant.owner.password})
        assert (limited.status_code, limited.json()["code"]) == (429, "login_rate_limited"), limited.text
        assert limited.json()["detail"] == ("Too many failed sign-in attempts from your network. "
                                            "Try again in 10 minutes."), limited.text
        # A header claiming another address is the client's own word, not its address: still refused.
        forwarded = sprayer.post(token_path, headers={"X-Forwarded-For": "203.0.113.7"},
                                 json={"email": tenant.owner.email, "password": tenant.owner.password})
        assert (forwarded.status_code, forwarded.json()["code"]) == (429, "login_rate_limited"), forwarded.text
        # The sign-in form is refused from that address as well (with its page's own CSRF token).
        form = sprayer.get("/login")
        [csrf] = re.findall(r'name="csrf_token" value="([^"]+)"', form.text)
        posted = sprayer.post("/login", data={"email": tenant.owner.email, "password": tenant.owner.password,
                                              "csrf_token": csrf})
        assert posted.status_code == 429 and "Too many failed sign-in attempts" in posted.text, posted.status_code
    # ...and the owner, from anywhere else, signs in: neither the email nor other addresses were limited.
    token = http.post(f"{stack.base_url}{token_path}", timeout=30,
                      json={"email": tenant.owner.email, "password": tenant.owner.password})
    assert token.status_code == 200, token.text


def test_an_expired_session_is_refused_and_sign_in_returns_to_the_page(new_context: CreateContextCallback,
                                                                      tenant: TenantHandle, seeder: TenantSeeder,
                                                                      stack: Stack) -> None:
    # Either side of the end of a session's life: one minted for a minute, one that has just ended.
    alive, ended = (seeder.mint_session(tenant, tenant.owner, ttl_seconds=ttl) for ttl in (60, 0))
    with bearer(stack, alive.token) as api:
        assert api.get("/api/v1/me").json()["email"] == tenant.owner.email
    with bearer(stack, ended.token) as api:
        refused = api.get("/api/v1/me")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_expired"), refused.text
    header, claims, signature = alive.token.split(".")
    with bearer(stack, f"{header}.{claims}.{signature[::-1]}") as api:  # not signed by the app
        forged = api.get("/api/v1/me")
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_token"), forged.text
    unsigned = http.get(f"{stack.base_url}/api/v1/me", timeout=30)  # no session at all: told to sign in
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "not_authenticated"), unsigned.text
    # A page asked for without a session by something that accepts anything (a link preview, a script's fetch) is
    # still a page: sent to sign in, not answered with the API's JSON.
    previewed = http.get(f"{stack.base_url}/calendar", timeout=30, headers={"Accept": "*/*"}, follow_redirects=False)
    assert (previewed.status_code, previewed.headers.get("location", "")) == (303, "/login?next=/calendar"), (
        previewed.status_code, previewed.headers)

    page = new_context(storage_state=storage_state(stack.base_url, ended)).new_page()  # type: ignore[arg-type]
    # The session ended while the owner was at Stripe's checkout; cancelling there brings them back here.
    page.goto("/billing?canceled=1")
    login = LoginPage(page).expect_loaded()  # sent to sign in, not shown the billing page
    login.expect_next("/billing?canceled=1")
    # A mistyped password first: the form that says so still knows where to go afterwards.
    login.sign_in(tenant.owner.email, tenant.owner.password + "-typo")
    login.expect_error(WRONG_CREDENTIALS)
    login.sign_in_as(tenant.owner)
    BillingPage(page).expect_checkout_canceled()  # back where the session ended, query string and all

    # The session ends while the owner is on Google's consent screen: Google's answer comes back with two
    # parameters (code and state), and both must survive the sign-in in between for the calendar to connect.
    calendar = CalendarPage(page).goto()
    calendar.connect_button.click()
    page.context.clear_cookies(name=SESSION_COOKIE)
    GoogleConsentPage(page).allow(tenant.owner.email)
    login.expect_next_matching(r"/calendar/google/callback\?code=[^&]+&state=[^&]+")
    login.sign_in_as(tenant.owner)
    calendar.expect_google_connected()


@pytest.mark.parametrize(("path", "label"), OWNER_ONLY_PAGES, ids=[p for p, _ in OWNER_ONLY_PAGES])
def test_tech_is_denied_owner_pages(path: str, label: str, tech_page: Page, tenant: TenantHandle,
                                    app_api: httpx.Client) -> None:
    owner_view = app_api.get(path, headers={"Accept": "text/html"})
    assert owner_view.status_code == 200, f"positive control failed: {path} answers {owner_view.status_code} to the owner"
    inbox = open_inbox(tech_page)
    inbox.navigation.expect_link("Inbox")
    inbox.navigation.expect_no_link(label)
    response = tech_page.goto(path)
    ErrorPage(tech_page).expect_forbidden(OWNER_ONLY)
    # The refusal is a 403 on the wire too, not an error card served as 200 (which caches and tools trust).
    assert response is not None and response.status == 403, response and response.status


def test_tech_is_refused_owner_only_apis(tenant: TenantHandle, app_api: httpx.Client, stack: Stack,
                                         stripe: StripeFakeClient, twilio: TwilioFakeClient, customer_phone: str) -> None:
    items = app_api.get("/api/v1/catalog/items")
    assert items.status_code == 200 and items.json()["items"], f"positive control failed: {items.text}"
    item = items.json()["items"][0]
    owner_views = {path: app_api.get(path) for path in ("/api/v1/compliance", "/api/v1/billing/status")}
    assert all(r.status_code == 200 for r in owner_views.values()), f"positive control failed: {owner_views}"
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/v1/catalog/items", None),
        ("GET", f"/api/v1/catalog/items/{item['id']}", None),
        ("POST", "/api/v1/catalog/items", {"name": "Tech's own item", "price_cents": 100, "duration_minutes": 30}),
        ("PATCH", f"/api/v1/catalog/items/{item['id']}", {"price_cents": 1}),
        ("DELETE", f"/api/v1/catalog/items/{item['id']}", None),
        ("GET", "/api/v1/compliance", None),
        ("POST", "/api/v1/compliance/registration",
         {"legal_name": "Tech LLC", "ein": "12-3456789", "website": "https://tech.example", "use_case": "MIXED"}),
        ("GET", "/api/v1/billing/status", None),
        ("POST", "/api/v1/billing/checkout", None),
        ("POST", "/api/v1/billing/portal", None),
    ]
    # The owner-only pages' forms and steps too (the pages themselves are refused above; posted directly, a form
    # must be as well). Refused as pages are: a 403 (an error page for a GET).
    page_attempts = [("GET", f"/catalog/{item['id']}/edit"), ("POST", "/catalog"), ("POST", f"/catalog/{item['id']}"),
                     ("POST", f"/catalog/{item['id']}/deactivate"), ("POST", f"/catalog/{item['id']}/activate"),
                     ("POST", "/compliance"), ("POST", "/billing/checkout"), ("POST", "/billing/portal"),
                     ("GET", "/billing/success"), ("GET", "/calendar"), ("POST", "/calendar/google/connect"),
                     ("GET", "/calendar/google/callback"), ("POST", "/calendar/jobber/connect"),
                     ("GET", "/calendar/jobber/callback")]
    assert twilio.missed_call(from_=customer_phone, to=tenant.phone_number)["status_code"] == 200
    [conversation] = app_api.get("/api/v1/conversations").json()["conversations"]
    with bearer(stack, tenant.tech.session.token) as tech_api:
        assert tech_api.get("/api/v1/me").json()["role"] == "TECH"  # the tech's session itself works
        # What a tech is there for stays open to them: answering the customer, signed with their name.
        answer = tech_api.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "On my way."})
        assert (answer.status_code, answer.json().get("author_label")) == (201, tenant.tech.name), answer.text
        # and handing it back and forth, twice each (a double click is harmless)
        for action, state in (("release", "open"), ("release", "open"), ("takeover", "human"), ("takeover", "human")):
            moved = tech_api.post(f"/api/v1/conversations/{conversation['id']}/{action}")
            assert (moved.status_code, moved.json().get("state")) == (200, state), moved.text
        # and quoting, booking and the shared pages: the job a tech does on site (a walk-in quoted and booked).
        quoted = tech_api.post("/api/v1/catalog/quote", json={"item_id": item["id"]})
        link = tech_api.post("/api/v1/booking-links", json={"item_id": item["id"]})
        matched = tech_api.post("/api/v1/catalog/match", json={"text": item["name"]})
        offered = tech_api.get("/api/v1/offers", params={"item_id": item["id"], "count": 1})
        open_to_techs = {"quote": quoted, "booking link": link, "match": matched, "offers": offered}
        if offered.status_code == 200 and offered.json()["offers"]:
            starts_at = offered.json()["offers"][0]["starts_at"]
            hold = tech_api.post("/api/v1/holds", json={"item_id": item["id"], "starts_at": starts_at})
            open_to_techs["hold"] = hold
            if hold.status_code == 201:
                open_to_techs["booking"] = tech_api.post("/api/v1/bookings", json={"hold_id": hold.json()["id"]})
        open_to_techs |= {path: tech_api.get(path) for path in (
            "/api/v1/appointments", "/api/v1/dashboard/first-response", "/appointments", "/dashboard")}
        closed = {what: (r.status_code, r.text[:120]) for what, r in open_to_techs.items() if not r.is_success}
        assert len(open_to_techs) == 10 and not closed, f"a tech was refused what techs do: {closed or open_to_techs}"
        refused = {f"{m} {p}": tech_api.request(m, p, json=body) for m, p, body in attempts}
        refused_pages = {f"{m} {p}": tech_api.request(m, p) for m, p in page_attempts}
    wrong = {k: (r.status_code, r.text[:120]) for k, r in refused.items()
             if r.status_code != 403 or r.json().get("code") != "owner_only"}
    wrong |= {k: (r.status_code, r.text[:120]) for k, r in refused_pages.items() if r.status_code != 403}
    assert not wrong, f"a tech reached owner-only APIs or page forms: {wrong}"
    # Nothing the tech asked for happened.
    assert app_api.get("/api/v1/catalog/items").json()["items"] == items.json()["items"]
    assert {p: app_api.get(p).json() for p in owner_views} == {p: r.json() for p, r in owner_views.items()}
    assert stripe.checkout_sessions(client_reference_id=tenant.id) == []


@pytest.mark.tenant(compliance="pending")
def test_tech_sees_the_inbox(tech_page: Page, tenant: TenantHandle) -> None:
    inbox = open_inbox(tech_page)
    inbox.navigation.expect_signed_in_as(tenant.tech.name)
    inbox.navigation.expect_current("Inbox")
    inbox.navigation.expect_links(["Inbox", "Dashboard", "Appointments"])  # the pages a tech works with, no more
    # The tech is told there is no plan and the registration is pending, without the owner's links
    # ("Choose a plan", "See the registration": they lead to owner-only pages).
    for banner, state in ((BILLING_BANNER_TEST_ID, "none"), (COMPLIANCE_BANNER_TEST_ID, "pending")):
        inbox.banners.expect_state(banner, state)
        inbox.banners.expect_no_link(banner)


def test_sign_out_ends_the_session(owner_page: Page, new_context: CreateContextCallback, tenant: TenantHandle,
                                   stack: Stack) -> None:
    # Forms another site posts with this browser's cookies but without the page's CSRF token are refused:
    # a sign-out (which would end the session), a sign-in (which would swap in another account's), and any
    # form of a signed-in page (here the Compliance registration, checked by the session's own guard).
    registration: dict[str, str | float | bool] = {
        "legal_name": "Forged LLC", "ein": "12-3456789", "website": "https://forged.example", "use_case": "MIXED"}
    forms: list[tuple[str, dict[str, str | float | bool]]] = [
        ("/logout", {}), ("/login", {"email": tenant.owner.email, "password": tenant.owner.password}),
        ("/compliance", registration)]
    for path, form in forms:
        forged = owner_page.request.post(path, form=form, max_redirects=0)
        assert forged.status == 403, f"a cross-site POST {path} answered {forged.status}, not 403"
    # So are the API's other changing methods sent with the session cookie alone (no X-CSRF-Token): a price
    # changed and an item deleted from another site would be as bad as a form posted.
    [item, *_] = owner_page.request.get("/api/v1/catalog/items").json()["items"]
    for method in ("PATCH", "DELETE"):
        forged = owner_page.request.fetch(f"/api/v1/catalog/items/{item['id']}", method=method,
                                          data={"price_cents": 100} if method == "PATCH" else None)
        assert (forged.status, forged.json().get("code")) == (403, "csrf_failed"), (method, forged.text())
    assert owner_page.request.get(f"/api/v1/catalog/items/{item['id']}").json() == item  # unchanged, still there
    inbox = open_inbox(owner_page)
    # Nor does a CSRF token the app signed for another browser (the attacker's own, valid) pass for this one's.
    attackers_token = http.get(f"{stack.base_url}/login", timeout=30).cookies["nmc_csrf"]
    forged = owner_page.request.post("/compliance", form={**registration, "csrf_token": attackers_token},
                                     max_redirects=0)
    assert forged.status == 403, f"a POST with another browser's CSRF token answered {forged.status}, not 403"
    # Nor a pair the attacker made up (a cookie planted from a sibling subdomain, and the same value in the form):
    # cookie and form agree, but the app never signed the value.
    for made_up in ("made-up-without-a-signature", "made-up.with-a-wrong-signature"):
        owner_page.context.add_cookies([{"name": "nmc_csrf", "value": made_up, "url": stack.base_url}])
        forged = owner_page.request.post("/compliance", form={**registration, "csrf_token": made_up}, max_redirects=0)
        assert forged.status == 403, f"a POST with a made-up CSRF pair {made_up!r} answered {forged.status}, not 403"
    inbox = open_inbox(owner_page)  # a page of the app replaces the made-up cookie
    # The page's own form after its CSRF cookie went bad (overwritten by a value the app never signed): refused
    # with a page saying what to do, not a JSON body, and the session stays; the next page replaces the cookie.
    owner_page.context.add_cookies([{"name": "nmc_csrf", "value": "not-signed.by-the-app", "url": stack.base_url}])
    inbox.navigation.sign_out()
    ErrorPage(owner_page).expect_forbidden(FORM_EXPIRED)
    open_inbox(owner_page)  # still signed in
    sign_out(owner_page)
    assert not [c for c in owner_page.context.cookies() if c["name"] == SESSION_COOKIE]
    owner_page.goto(InboxPage.path)
    LoginPage(owner_page).expect_loaded()  # sent to sign in again, not shown the inbox
    # The session itself ended, not only this browser's cookie: a copy of it (another tab, another device)
    # is sent to sign in too.
    elsewhere = new_context(storage_state=tenant.storage_state_for(tenant.owner)).new_page()  # type: ignore[arg-type]
    elsewhere.goto(InboxPage.path)
    login = LoginPage(elsewhere).expect_loaded()
    # Signing in there again starts a new session, which the ended one, replayed at /logout (a copied
    # cookie), cannot end: only the session a sign-out comes from is ended.
    login.sign_in_as(tenant.owner)
    InboxPage(elsewhere).expect_loaded()
    [csrf] = [c["value"] for c in owner_page.context.cookies() if c["name"] == "nmc_csrf"]
    owner_page.context.add_cookies([{"name": SESSION_COOKIE, "value": tenant.owner.session.cookie_value,
                                     "url": stack.base_url}])
    replayed = owner_page.request.post("/logout", form={"csrf_token": csrf}, max_redirects=0)
    assert replayed.status == 303, f"the replayed sign-out answered {replayed.status}"
    elsewhere.reload()
    InboxPage(elsewhere).expect_loaded()
    # An API client holding the ended session's token is told why it no longer works.
    with bearer(stack, tenant.owner.session.token) as api:
        ended = api.get("/api/v1/me")
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked"), ended.text


def test_deactivated_user_is_refused_even_with_a_session(tech_page: Page, tenant: TenantHandle, seeder: TenantSeeder,
                                                         stack: Stack) -> None:
    open_inbox(tech_page)
    seeder.set_active(tenant, tenant.tech, False)
    tech_page.reload()
    ErrorPage(tech_page).expect_forbidden(DEACTIVATED)
    with bearer(stack, tenant.tech.session.token) as api:
        refused = api.get("/api/v1/conversations")
    assert (refused.status_code, refused.json()["code"]) == (403, "user_inactive"), refused.text
    # Signing in again does not help...
    tech_page.context.clear_cookies()
    login = LoginPage(tech_page).goto()
    login.sign_in_refused(tenant.tech.email, tenant.tech.password, error=DEACTIVATED, status=403)
    token = http.post(f"{stack.base_url}/api/v1/auth/token", timeout=30,
                      json={"email": tenant.tech.email, "password": tenant.tech.password})
    assert (token.status_code, token.json()["code"]) == (403, "user_inactive"), token.text
    # (Only to whoever knows the password: a wrong one reads as any wrong password, and tells nothing of the account.)
    guess = http.post(f"{stack.base_url}/api/v1/auth/token", timeout=30,
                      json={"email": tenant.tech.email, "password": tenant.tech.password + "-guess"})
    assert (guess.status_code, guess.json()["code"]) == (401, "invalid_credentials"), guess.text
    # ...until the account is active again: then the form and the session it already had both work.
    seeder.set_active(tenant, tenant.tech, True)
    login.sign_in_as(tenant.tech)
    InboxPage(tech_page).expect_loaded().navigation.expect_signed_in_as(tenant.tech.name)
    with bearer(stack, tenant.tech.session.token) as api:
        assert api.get("/api/v1/conversations").status_code == 200
