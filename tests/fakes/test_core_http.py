"""Unit tests of fakes.core's HTTP vocabulary: FormData, Request, Router, FakeApp routing."""

from __future__ import annotations

import pytest

from fakes.core import FakeApp, FormData, Headers, HttpError, Request, Response, Router


def make_request(method: str = "GET", path: str = "/", body: bytes = b"", content_type: str = "") -> Request:
    headers = Headers([("Content-Type", content_type)] if content_type else [])
    return Request(method=method, path=path, query=FormData(), headers=headers, body=body)


def test_form_data_keeps_repeated_keys_and_order() -> None:
    form = FormData.parse("To=%2B15550100001&MediaUrl=a&MediaUrl=b&Empty=")
    assert form.get("To") == "+15550100001"
    assert form.getall("MediaUrl") == ["a", "b"]
    assert form["Empty"] == ""
    assert "Missing" not in form
    assert form.to_dict() == {"To": "+15550100001", "MediaUrl": ["a", "b"], "Empty": ""}


def test_headers_are_case_insensitive_and_keep_sent_names() -> None:
    headers = Headers([("X-Twilio-Signature", "abc")])
    assert headers["x-twilio-signature"] == "abc"
    assert "X-TWILIO-SIGNATURE" in headers
    assert headers.as_dict() == {"X-Twilio-Signature": "abc"}


def test_malformed_json_is_a_400_with_a_reason() -> None:
    with pytest.raises(HttpError) as caught:
        make_request("POST", body=b"{not json").json()
    assert caught.value.status == 400
    assert "malformed JSON" in caught.value.payload["detail"]


def test_non_object_json_is_a_422() -> None:
    with pytest.raises(HttpError) as caught:
        make_request("POST", body=b"[1, 2]").json_object()
    assert caught.value.status == 422


def test_router_matches_method_and_full_path_with_named_groups() -> None:
    router = Router()
    router.add("GET", r"/things/(?P<id>[^/]+)", lambda r: Response.json({"id": r.path_params["id"]}))
    match = router.match("GET", "/things/42")
    assert match.handler is not None and match.params == {"id": "42"}
    assert router.match("GET", "/things/42/more").handler is None
    wrong_method = router.match("POST", "/things/42")
    assert wrong_method.handler is None and wrong_method.allowed == ["GET"]


def test_fake_app_answers_unknown_routes_with_json_and_crashes_with_500() -> None:
    app = FakeApp()

    def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    app.router.add("GET", r"/boom", boom)
    try:
        assert app.handle(make_request(path="/nowhere")).status == 404
        control_404 = app.handle(make_request(path="/_fake/nowhere"))
        assert control_404.status == 404 and b"no control route" in control_404.body
        assert app.handle(make_request("DELETE", path="/_fake/reset")).status == 405
        crashed = app.handle(make_request(path="/boom"))
        assert crashed.status == 500 and b"bug" in crashed.body
    finally:
        app.close()


def test_provider_route_overrides_a_standard_control_route() -> None:
    app = FakeApp()
    app.router.add("POST", r"/_fake/webhooks/redeliver", lambda r: Response.json({"custom": True}))
    try:
        response = app.handle(make_request("POST", path="/_fake/webhooks/redeliver", body=b"{}"))
        assert response.status == 200 and response.body == b'{"custom": true}'
    finally:
        app.close()
