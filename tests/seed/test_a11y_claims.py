"""The a11y plugin's bookkeeping: which page states a run has scanned, shared by its xdist workers."""

from __future__ import annotations

from pathlib import Path

from e2e.plugins.a11y import ScanClaims, page_shape


def test_each_worker_sees_the_others_claims(tmp_path: Path) -> None:
    folder = tmp_path / "claims"
    gw0, gw1 = ScanClaims(folder), ScanClaims(folder)  # two workers of one run
    billing_none = ("/billing", "BillingPage", "none")
    assert gw0.claim(billing_none) is True
    assert gw1.claim(billing_none) is False and gw0.claim(billing_none) is False
    assert gw1.claim(("/billing", "BillingPage", "active")) is True  # another state of the page
    assert ScanClaims(tmp_path / "next-run").claim(billing_none) is True  # another run scans it again


def test_ids_and_tokens_in_the_path_make_one_state() -> None:
    assert page_shape("http://127.0.0.1:8000/conversations/0f3c2a9b8e7d6c5b4a39") == "/conversations/<id>"
    assert page_shape("http://127.0.0.1:8000/book/ZH2j6ko2SGkZc0iS_kasBw") == "/book/<id>"
    assert page_shape("http://127.0.0.1:8000/catalog/12/edit") == "/catalog/<id>/edit"
    assert page_shape("http://127.0.0.1:8000/inbox?x=1") == "/inbox"
