"""fakes.core over real sockets: journal, fault rules, hostile webhook delivery, redeliver, reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx
import pytest

from fakes.core import FakeApp, FakeServer, Request, Response, Webhook, running
from fakes.core import server as fake_server_module
from fakes.core.client import ControlClient
from stack.waiting import wait_until

if TYPE_CHECKING:
    from conftest import WebhookReceiver


class CounterFake(FakeApp):
    """Smallest possible provider: POST /v1/items creates an item; GET lists them."""

    name = "counter"

    def __init__(self) -> None:
        super().__init__(webhook_timeout_s=2.0)
        self.items: list[str] = []
        self.router.add("POST", r"/v1/items", self.create)
        self.router.add("GET", r"/v1/items", lambda r: Response.json({"items": self.items}))

    def create(self, request: Request) -> Response:
        with self.lock:
            self.items.append(request.form().get("name") or "")
        return Response.json({"ok": True}, 201)

    def reset_state(self) -> None:
        self.items.clear()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running(CounterFake()) as running_server:
        yield running_server


@pytest.fixture
def http(server: FakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        yield client


def items(server: FakeServer) -> list[str]:
    assert isinstance(server.app, CounterFake)
    return server.app.items


def test_running_binds_a_free_port_and_serves(server: FakeServer, http: httpx.Client) -> None:
    assert server.port > 0 and server.base_url == f"http://127.0.0.1:{server.port}"
    assert http.get("/_fake/health").json() == {"status": "ok", "fake": "counter"}


def test_journal_records_provider_requests_not_control_requests(server: FakeServer, http: httpx.Client) -> None:
    http.post("/v1/items", data={"name": "+15550100001"})
    http.get("/v1/items", params={"q": "1"})
    entries = http.get("/_fake/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/items", 201),
        ("GET", "/v1/items", 200),
    ]
    first = entries[0]
    assert first["direction"] == "inbound" and first["form"] == {"name": "+15550100001"}
    assert first["body"] == "name=%2B15550100001" and first["started_at"] <= first["finished_at"]
    assert entries[1]["query"] == "q=1"
    # contains looks in decoded form values too; since_id keeps only later entries
    assert [e["id"] for e in http.get("/_fake/requests", params={"contains": "+15550100001"}).json()["requests"]] == [
        first["id"]
    ]
    later = http.get("/_fake/requests", params={"since_id": first["id"]}).json()["requests"]
    assert [e["id"] for e in later] == [entries[1]["id"]]
    # The control client's journal_end() is the newest entry: what follows it is read with since_id.
    client = ControlClient(server.base_url)
    end = client.journal_end()
    assert end == entries[1]["id"] and client.requests(since_id=end) == []
    http.get("/v1/items")
    assert [e["method"] for e in client.requests(since_id=end)] == ["GET"]


def test_an_answer_is_journaled_before_the_client_can_read_it(
    server: FakeServer, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that has its answer may read the journal at once (CI caught ``status: None`` when the
    # entry was completed after the send); snapshot the journal at the moment the answer goes out.
    statuses_when_sent: list[list[int | None]] = []
    send = fake_server_module._Handler._send

    def spying_send(handler: fake_server_module._Handler, response: Response) -> None:
        statuses_when_sent.append([e["status"] for e in server.app.journal.entries(direction="inbound")])
        send(handler, response)

    monkeypatch.setattr(fake_server_module._Handler, "_send", spying_send)
    http.post("/v1/items", data={"name": "a"})
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "status", "code": 503})
    http.post("/v1/items", data={"name": "b"})
    # control requests are not journaled, but they are sent too: their snapshots are in between
    assert statuses_when_sent[0] == [201] and statuses_when_sent[-1] == [201, 503]


def test_status_fault_fires_n_times_then_requests_pass_and_nothing_is_created(
    server: FakeServer, http: httpx.Client
) -> None:
    rule = http.post(
        "/_fake/faults", json={"method": "post", "path": "^/v1/items$", "action": "status", "code": 503, "times": 2}
    )
    assert rule.status_code == 201 and rule.json()["remaining"] == 2
    answers = [http.post("/v1/items", data={"name": str(i)}) for i in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 201]
    assert answers[0].json()["detail"] == "injected fault: HTTP 503"
    assert http.get("/v1/items").status_code == 200  # GET is not matched by a POST rule
    assert items(server) == ["2"]
    assert http.get("/_fake/faults").json()["faults"][0]["remaining"] == 0
    journal = http.get("/_fake/requests").json()["requests"]
    assert [e["fault"] for e in journal[:3]] == ["status", "status", None]


def test_status_fault_with_a_custom_body(http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "status", "code": 429, "body": {"slow": "down"}})
    answer = http.post("/v1/items")
    assert answer.status_code == 429 and answer.json() == {"slow": "down"}


def test_rules_fire_in_the_order_added(http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "status", "code": 500})
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "status", "code": 502})
    assert [http.post("/v1/items").status_code for _ in range(3)] == [500, 502, 201]


def test_delay_fault_delays_then_handles(server: FakeServer, http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "delay", "ms": 300})
    started = time.monotonic()
    assert http.post("/v1/items", data={"name": "late"}).status_code == 201
    assert time.monotonic() - started >= 0.3
    assert items(server) == ["late"]


def test_late_fault_handles_at_once_and_answers_after(server: FakeServer, http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "late", "ms": 600})
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(http.post, "/v1/items", data={"name": "early"})
        while items(server) != ["early"]:  # done before the answer: what lets a provider's webhooks overtake it
            assert time.monotonic() - started < 0.5, "the late fault did not handle the request at once"
            time.sleep(0.01)
        assert not answer.done()
        assert answer.result(timeout=5).status_code == 201
    assert time.monotonic() - started >= 0.6


def test_timeout_fault_never_answers_and_creates_nothing(server: FakeServer, http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "timeout"})
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/items", data={"name": "lost"}, timeout=0.5)
    assert 0.45 <= time.monotonic() - started < 3
    assert items(server) == []
    assert http.post("/v1/items", data={"name": "next"}).status_code == 201


def test_timeout_fault_hold_ends_with_a_closed_connection(http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "timeout", "hold_ms": 200})
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v1/items", timeout=5)


def test_clearing_faults_releases_a_held_connection(server: FakeServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10) as control:
        control.post("/_fake/faults", json={"path": "/v1/items", "action": "timeout"})
        released_after: list[float] = []

        def clear_soon() -> None:
            time.sleep(0.3)
            released_after.append(time.monotonic())
            control.delete("/_fake/faults")

        threading.Thread(target=clear_soon).start()
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError), httpx.Client(base_url=server.base_url, timeout=10) as victim:
            victim.post("/v1/items")
        assert time.monotonic() - started < 3
        # once released, the entry keeps its fault and has no status
        (held,) = control.get("/_fake/requests").json()["requests"]
        assert held["fault"] == "timeout" and held["status"] is None and held["finished_at"] is not None


def test_a_held_request_shows_its_fault_while_it_hangs(server: FakeServer) -> None:
    outcome: list[BaseException] = []

    def victim() -> None:  # stays connected until the rules are cleared (the server then closes it)
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            try:
                client.post("/v1/items")
            except httpx.HTTPError as exc:
                outcome.append(exc)

    with httpx.Client(base_url=server.base_url, timeout=10) as control:
        control.post("/_fake/faults", json={"path": "/v1/items", "action": "timeout"})
        waiting = threading.Thread(target=victim)
        waiting.start()
        (in_flight,) = wait_until(lambda: control.get("/_fake/requests").json()["requests"], timeout=5,
                                  message="the held request in the journal")
        assert in_flight["fault"] == "timeout" and in_flight["status"] is None and in_flight["finished_at"] is None
        control.delete("/_fake/faults")  # releases the held request
        waiting.join(timeout=5)
    assert not waiting.is_alive() and isinstance(outcome[0], httpx.RemoteProtocolError)


def test_reset_fault_closes_the_connection_abruptly(server: FakeServer, http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": "/v1/items", "action": "reset", "times": 1})
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)) as caught:
        http.post("/v1/items", data={"name": "lost"})
    assert "reset" in str(caught.value).lower() or isinstance(caught.value, httpx.ReadError)
    assert items(server) == []
    assert http.post("/v1/items", data={"name": "ok"}).status_code == 201
    journal = http.get("/_fake/requests").json()["requests"]
    assert journal[0]["fault"] == "reset" and journal[0]["status"] is None


def test_faults_never_apply_to_control_paths(http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"path": ".*", "action": "status", "code": 500, "times": 5})
    assert http.get("/_fake/faults").status_code == 200
    assert http.post("/v1/items").status_code == 500


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{oops", 400, "malformed JSON"),
        (b"[]", 422, "must be an object"),
        (b'{"path": "/x", "action": "explode"}', 422, "action must be one of"),
        (b'{"action": "status"}', 422, "path"),
        (b'{"path": "(", "action": "status"}', 422, "regular expression"),
        (b'{"path": "/x", "action": "status", "times": 0}', 422, "times"),
        (b'{"path": "/x", "action": "status", "times": "2"}', 422, "times must be an integer"),
        (b'{"path": "/x", "action": "status", "code": 99}', 422, "code"),
        (b'{"path": "/x", "action": "delay"}', 422, "ms"),
        (b'{"path": "/x", "action": "late"}', 422, "a late fault needs ms"),
    ],
)
def test_bad_fault_rules_are_refused_with_a_clear_json_error(
    http: httpx.Client, body: bytes, status: int, fragment: str
) -> None:
    answer = http.post("/_fake/faults", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status
    assert fragment in answer.json()["detail"]
    assert http.get("/_fake/faults").json()["faults"] == []


def test_bad_webhook_config_and_redeliver_input(http: httpx.Client) -> None:
    assert http.post("/_fake/webhooks/config", json={"duplicate": -1}).status_code == 422
    assert http.post("/_fake/webhooks/config", json={"reorder": "yes"}).status_code == 422
    assert http.post("/_fake/webhooks/config", json={"surprise": 1}).status_code == 422
    assert http.get("/_fake/webhooks/config").json() == {"duplicate": 1, "delay_ms": 0, "reorder": False}
    assert http.post("/_fake/webhooks/redeliver", json={}).status_code == 422
    missing = http.post("/_fake/webhooks/redeliver", json={"delivery_id": "dlv_nope"})
    assert missing.status_code == 404 and "dlv_nope" in missing.json()["detail"]
    assert http.get("/_fake/requests", params={"since_id": "x"}).status_code == 422


def test_webhooks_duplicate_delay_and_journal(server: FakeServer, http: httpx.Client, receiver: WebhookReceiver) -> None:
    http.post("/_fake/webhooks/config", json={"duplicate": 3, "delay_ms": 200})
    hook = Webhook.form(receiver.url("/hook"), {"A": "1"}, {"X-Token": "same"})
    started = time.monotonic()
    result = server.app.webhooks.deliver(hook)
    assert time.monotonic() - started >= 0.2
    assert result.status_code == 200 and result.delivery_id == hook.delivery_id
    hits = receiver.wait_for(3)
    assert {h.body for h in hits} == {b"A=1"} and {h.headers["X-Token"] for h in hits} == {"same"}
    outbound = http.get("/_fake/requests", params={"direction": "outbound"}).json()["requests"]
    assert [(e["delivery_id"], e["copy"], e["status"]) for e in outbound] == [(hook.delivery_id, i, 200) for i in range(3)]
    assert outbound[0]["form"] == {"A": "1"} and outbound[0]["url"] == receiver.url("/hook")
    assert [e["response_body"] for e in outbound] == ["ok"] * 3  # the receiver's answer, as a dashboard shows it


def test_burst_is_reversed_when_reorder_is_on(server: FakeServer, http: httpx.Client, receiver: WebhookReceiver) -> None:
    http.post("/_fake/webhooks/config", json={"reorder": True})
    with server.app.webhooks.burst() as burst:
        for name in ("first", "second", "third"):
            burst.send(Webhook.form(receiver.url(f"/{name}"), {}, {}))
        assert receiver.received == []  # held until the burst is complete
    assert [h.path for h in receiver.wait_for(3)] == ["/third", "/second", "/first"]


def test_redeliver_reposts_the_exact_webhook(server: FakeServer, http: httpx.Client, receiver: WebhookReceiver) -> None:
    hook = Webhook.form(receiver.url("/hook"), {"B": "2"}, {"X-Signature": "sig"})
    server.app.webhooks.deliver(hook)
    receiver.status = 204
    answer = http.post("/_fake/webhooks/redeliver", json={"delivery_id": hook.delivery_id}).json()
    assert answer == {"delivery_id": hook.delivery_id, "status_code": 204, "error": None}
    first, second = receiver.wait_for(2)
    assert (first.body, first.headers["X-Signature"]) == (second.body, second.headers["X-Signature"])
    redelivered = http.get("/_fake/requests", params={"direction": "outbound"}).json()["requests"][-1]
    assert redelivered["redelivery"] is True


def test_unreachable_webhook_target_is_journaled_as_an_error(server: FakeServer, http: httpx.Client) -> None:
    result = server.app.webhooks.deliver(Webhook.form("http://127.0.0.1:9/nothing", {}, {}))
    assert result.status_code is None and result.error
    entry = http.get("/_fake/requests", params={"direction": "outbound"}).json()["requests"][0]
    assert entry["error"] == result.error


def test_reset_clears_journal_faults_webhook_config_and_state(
    server: FakeServer, http: httpx.Client, receiver: WebhookReceiver
) -> None:
    http.post("/v1/items", data={"name": "x"})
    http.post("/_fake/faults", json={"path": "/nope", "action": "reset"})
    http.post("/_fake/webhooks/config", json={"duplicate": 2, "delay_ms": 5, "reorder": True})
    hook = Webhook.form(receiver.url("/hook"), {}, {})
    server.app.webhooks.deliver(hook)
    assert http.post("/_fake/reset").json() == {"status": "reset"}
    assert http.get("/_fake/requests").json()["requests"] == []
    assert http.get("/_fake/faults").json()["faults"] == []
    assert http.get("/_fake/webhooks/config").json() == {"duplicate": 1, "delay_ms": 0, "reorder": False}
    assert http.post("/_fake/webhooks/redeliver", json={"delivery_id": hook.delivery_id}).status_code == 404
    assert items(server) == []


def test_stop_closes_idle_keep_alive_connections() -> None:
    app = CounterFake()
    server = FakeServer(app).start()
    client = httpx.Client(base_url=server.base_url, timeout=2)
    assert client.get("/v1/items").status_code == 200  # leaves a keep-alive connection open
    server.stop()
    with pytest.raises(httpx.TransportError):
        client.get("/v1/items")
    client.close()
