"""A store that lost events never hands out a number twice: the service records the
loss and numbering goes on after the high-water mark (end to end, real files)."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.config import Config
from kiosk.service import Accepted, KioskService
from kiosk.store import Store
from tests.support import at, make_config


def started(cfg: Config, clock: FakeClock) -> KioskService:
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    svc.start()
    return svc


def issue(svc: KioskService, service: str) -> str:
    reply = svc.submit(c.Issue(service), "test").result(timeout=10)
    assert isinstance(reply, Accepted), reply
    return reply.events[-1].ticket  # type: ignore[return-value]


def stop(svc: KioskService) -> None:
    svc.stop()
    svc.store.close()


def test_a_store_truncated_to_zero_bytes_does_not_reissue(tmp_path: Path) -> None:
    cfg, clock = make_config(tmp_path), FakeClock(at(2026, 11, 23, 10))
    svc = started(cfg, clock)
    assert [issue(svc, "B") for _ in range(3)] == ["B001", "B002", "B003"]
    issue(svc, "A")
    last_seq = svc.store.events()[-1].seq
    stop(svc)
    for leftover in ("", "-wal", "-shm"):
        p = Path(f"{cfg.storage_path}{leftover}")
        if p.exists():
            os.truncate(p, 0)  # the file system lost everything the store held

    svc = started(cfg, clock)
    try:
        restored = [e for e in svc.store.events() if e.type == "numbers_restored"]
        assert len(restored) == 1
        assert restored[0].data["floor"] == {"A": 1, "B": 3}
        assert restored[0].seq > last_seq  # seq never reused: the branch server dedups on it
        assert issue(svc, "B") == "B004"  # before the fix: B001, a second B001 in the hall
        assert issue(svc, "A") == "A002"
    finally:
        stop(svc)

    svc = started(cfg, clock)  # recorded once, not at every start
    try:
        assert [e.type for e in svc.store.events()].count("numbers_restored") == 1
        assert issue(svc, "B") == "B005"
    finally:
        stop(svc)
