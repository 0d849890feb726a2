"""Power-cut behaviour: a real kiosk process is SIGKILLed at random moments while tickets
are issued and called. After every restart no acknowledged ticket is lost, no number
repeats, and the order of service is unchanged."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.errors import ControlError
from kiosk.store import Store
from tests.kiosk_proc import KioskProcess, write_config

ROUNDS = 8


def hammer(k: KioskProcess, stop: threading.Event, acked: dict[str, list[str]],
           rng: random.Random) -> None:
    """Issue and call as fast as the kiosk answers, remembering what was acknowledged."""
    while not stop.is_set():
        try:
            if rng.random() < 0.6:
                reply = k.ask("issue", service=rng.choice("ABC"))
                kind = "issued"
            else:
                reply = k.ask("call-next", counter=rng.choice([1, 2, 3, 4]))
                kind = "called"
        except (ControlError, OSError):
            return  # the process is gone
        if reply.get("ok"):
            acked[kind].extend(e["ticket"] for e in reply["events"] if e["type"] == kind)


def check_store(db: Path, acked: dict[str, list[str]]) -> None:
    """No acknowledged ticket or call lost, no number repeated or skipped, order kept."""
    store = Store(db)
    try:
        events = store.events()
    finally:
        store.close()
    issued = [e for e in events if e.type == "issued"]
    ids = [e.ticket for e in issued]
    assert len(ids) == len(set(ids)), "a number was issued twice"
    assert set(acked["issued"]) <= set(ids), "an acknowledged ticket was lost"
    by_service: dict[str, list[int]] = defaultdict(list)
    for e in issued:
        by_service[e.service].append(e.data["number"])
    for numbers in by_service.values():
        assert numbers == list(range(1, len(numbers) + 1)), "gap or repeat in numbering"
    called = [e.ticket for e in events if e.type == "called"]
    assert set(acked["called"]) <= set(called), "an acknowledged call was lost"
    for service in "ABC":
        order = [tk for tk in called if tk[0] == service]
        assert order == sorted(order), f"service {service} was not served in order"


def under_load(k: KioskProcess, acked: dict[str, list[str]], rng: random.Random,
               seconds: float) -> tuple[threading.Event, threading.Thread]:
    """Start hammering ``k`` and return after ``seconds``; the caller stops the thread."""
    stop = threading.Event()
    t = threading.Thread(target=hammer, args=(k, stop, acked, rng))
    t.start()
    time.sleep(seconds)
    return stop, t


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    k = KioskProcess(write_config(tmp_path))
    acked: dict[str, list[str]] = defaultdict(list)
    try:
        for _ in range(ROUNDS):
            k.start()
            stop, t = under_load(k, acked, rng, rng.uniform(0.05, 0.8))
            k.kill()  # no chance to flush or say goodbye: like pulling the plug
            stop.set()
            t.join(15)
            check_store(tmp_path / "kiosk.db", acked)
        assert len(acked["issued"]) > 20, "the test did not exercise the kiosk"
        # and the kiosk still works after all that
        k.start()
        reply = k.ask("issue", service="A")
        assert reply["ok"] and reply["events"][-1]["ticket"] not in acked["issued"]
        assert k.terminate() == 0
    finally:
        k.ensure_stopped()
