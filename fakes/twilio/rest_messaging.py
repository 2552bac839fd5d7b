"""Messaging v1: A2P brand registrations (``/v1/a2p/BrandRegistrations``), served on the same host.

Real Twilio serves these from messaging.twilio.com; point ``client.messaging.base_url`` at the fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fakes.core import Request, Response
from fakes.twilio import errors
from fakes.twilio.models import Brand
from fakes.twilio.paging import page_request, request_base_url, v1_page
from fakes.twilio.shapes import new_sid

if TYPE_CHECKING:
    from fakes.twilio.app import TwilioFake

BRANDS = r"/v1/a2p/BrandRegistrations"
BRAND_TYPES = ("STANDARD", "SOLE_PROPRIETOR")


def install(app: TwilioFake) -> None:
    def guarded(handler: Callable[[TwilioFake, Request], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            app.authenticate(request)
            return handler(app, request)

        return run

    app.router.add("POST", BRANDS, guarded(create_brand))
    app.router.add("GET", BRANDS, guarded(list_brands))
    app.router.add("GET", rf"{BRANDS}/(?P<sid>[^/]+)", guarded(fetch_brand))


def create_brand(app: TwilioFake, request: Request) -> Response:
    form = request.form()
    for required in ("CustomerProfileBundleSid", "A2PProfileBundleSid"):
        if not form.get(required):
            raise errors.missing_parameter(required)
    brand_type = form.get("BrandType") or "STANDARD"
    if brand_type not in BRAND_TYPES:
        raise errors.twilio_error(20001, f"BrandType must be one of {', '.join(BRAND_TYPES)}")
    with app.lock:
        brand = Brand(
            sid=new_sid("BN"),
            account_sid=app.config.account_sid,
            customer_profile_bundle_sid=form["CustomerProfileBundleSid"],
            a2p_profile_bundle_sid=form["A2PProfileBundleSid"],
            brand_type=brand_type,
            mock=(form.get("Mock") or "").lower() == "true",
        )
        app.brands[brand.sid] = brand
        return Response.json(brand.to_json(request_base_url(request.headers)), 201)


def fetch_brand(app: TwilioFake, request: Request) -> Response:
    with app.lock:
        brand = app.brands.get(request.path_params["sid"])
        if brand is None:
            raise errors.not_found(request.path)
        return Response.json(brand.to_json(request_base_url(request.headers)))


def list_brands(app: TwilioFake, request: Request) -> Response:
    page, page_size = page_request(request.query)
    base_url = request_base_url(request.headers)
    with app.lock:
        records = [brand.to_json(base_url) for brand in app.brands.values()]
    body = v1_page(records, key="data", base_url=base_url, path=request.path, filters={}, page=page, page_size=page_size)
    return Response.json(body)
