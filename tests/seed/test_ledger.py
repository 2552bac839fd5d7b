"""The run ledger: order of writes, folding, torn lines, concurrent writers, removal when settled."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from seed.ledger import RunLedger, append_event, fold, read_events, remove_if_settled
from seed.run import RunIdentity


def identity(run_id: str = "r1", worker: str = "gw0") -> RunIdentity:
    return RunIdentity(run_id=run_id, worker=worker, owner_pid=123, host="here")


def test_events_fold_into_the_latest_state(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path, identity())
    ledger.record("creating", key="k1", name="t1", base_url="http://x", target_id="s1", disposable=True)
    ledger.record("created", key="k1", tenant_id="T1")
    ledger.record("creating", key="k2", name="t2")
    ledger.record("deleted", key="k1", tenant_id="T1")
    tenants = {t.key: t for t in fold(read_events(ledger.path))}
    assert tenants["k1"].state == "deleted" and tenants["k1"].tenant_id == "T1" and tenants["k1"].settled
    assert tenants["k1"].disposable and tenants["k1"].target_id == "s1" and tenants["k1"].worker == "gw0"
    assert tenants["k2"].state == "creating" and not tenants["k2"].settled
    assert not ledger.close_if_settled() and ledger.path.exists()
    ledger.record("create_failed", key="k2", status=409)
    assert ledger.close_if_settled() and not ledger.path.exists()


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    append_event(path, {"event": "creating", "key": "k"})
    with open(path, "a") as out:
        out.write('{"event": "created", "key": "k", "tenant_')  # the process died mid-write
    assert [e["event"] for e in read_events(path)] == ["creating"]
    assert not remove_if_settled(path)


def _append_many(path: str, worker: str) -> None:
    ledger = RunLedger(Path(path), identity(worker=worker))
    for n in range(100):
        ledger.record("creating", key=f"{worker}-{n}", name="x" * 500)


def test_concurrent_workers_never_interleave_lines(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(tmp_path), f"gw{i}")) for i in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    events = read_events(tmp_path / "r1.jsonl")
    assert len(events) == 400
    assert len({e["key"] for e in events}) == 400
