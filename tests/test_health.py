"""HealthReporter: one report per change of status, every ticket, never an exception."""

from __future__ import annotations

import itertools
import logging
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from kiosk.commands import Command, ReportDevice
from kiosk.core import Rejected
from kiosk.health import HealthReporter
from tests.hw_fakes import Recorder


def test_changes_only_and_every_ticket() -> None:
    rec = Recorder()
    h = HealthReporter("display:hall", rec, "display")
    assert h.status is None
    h.report("offline", "write failed: [Errno 5]")
    h.report("offline", "could not open port")  # a retry's new wording: not news
    h.report("ok")
    h.report("ok")
    h.report("offline", "gone", ticket="A012")
    h.report("offline", "gone", ticket="A013")
    assert rec.of(ReportDevice) == [
        ReportDevice("display:hall", "offline", "write failed: [Errno 5]"),
        ReportDevice("display:hall", "ok", ""),
        ReportDevice("display:hall", "offline", "gone", "A012"),
        ReportDevice("display:hall", "offline", "gone", "A013"),
    ]
    assert {source for _, source in rec.commands} == {"display"}
    assert h.status == "offline"


def test_a_failing_submit_never_raises_and_is_tried_again(
        caplog: pytest.LogCaptureFixture) -> None:
    sent: list[Command] = []
    down = True

    def submit(cmd: Command, source: str) -> Future[Any]:
        if down:
            raise RuntimeError("the kiosk is stopping")
        sent.append(cmd)
        return Future()

    h = HealthReporter("voice", submit, "voice")
    assert h.report("error", "x" * 500) is False  # logged, not raised
    assert "could not report" in caplog.text
    down = False
    assert h.report("error", "x" * 500) is True  # not remembered as sent: sent now
    assert len(sent[0].detail) == 200  # type: ignore[attr-defined]


def test_refused_and_failed_reports_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[Future[Any]] = []

    def submit(cmd: Command, source: str) -> Future[Any]:
        answers.append(Future())
        return answers[-1]

    h = HealthReporter("printer", submit, "printer")
    with caplog.at_level(logging.ERROR):
        h.report("error", "a")
        answers[-1].set_result(Rejected("too_many_devices", {"limit": 32}))
        h.report("ok")
        answers[-1].set_exception(RuntimeError("worker gone"))
    assert "refused: too_many_devices" in caplog.text
    assert "worker gone" in caplog.text


def test_reports_from_two_threads_reach_the_queue_in_the_order_they_were_seen() -> None:
    rec = Recorder()
    h = HealthReporter("printer", rec, "printer")
    statuses = ("ok", "paper_out") * 200

    def run(offset: int) -> None:
        for s in statuses[offset::2]:
            h.report(s)

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    sent = [r.status for r in rec.of(ReportDevice)]
    # never the same status twice in a row: each report is a real change
    assert all(a != b for a, b in itertools.pairwise(sent))
    assert sent[-1] == h.status
