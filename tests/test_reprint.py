"""Reprint is a command: decided by the core, recorded as a ``reprinted`` event, printed by
the printer subscriber as a marked copy. A ticket that does not print is named in the
device event's ``ticket`` field, not inside its free-text detail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import drivers.printer as printer
from drivers.printer import backends
from kiosk import commands as c
from kiosk import messages
from kiosk.clock import FakeClock
from kiosk.control import ControlServer, request
from kiosk.core import Rejected, replay
from kiosk.core.state import FINISHED
from kiosk.errors import ProtocolError
from kiosk.events import DEVICE_STATUS, REPRINTED
from kiosk.service import KioskService
from kiosk.status import snapshot
from kiosk.store import Store
from tests.printer_fakes import Reports, issued
from tests.support import Desk, at, driver_parts, make_config, wait_for

REPRINT_MARK = "补打凭条".encode("gb18030")

# --------------------------------------------------------------------------- the core


def test_reprint_defaults_to_the_last_ticket_issued_and_changes_nothing(desk: Desk) -> None:
    for s in "ABA":
        desk.ok(c.Issue(s))
    before = snapshot(desk.state)
    [event] = desk.ok(c.Reprint())
    assert (event.type, event.ticket, event.service) == (REPRINTED, "A002", "A")
    assert event.data["number"] == 2 and event.data["issued_at"] == "2026-11-23T10:00:00+08:00"
    assert (event.data["service_zh"], event.data["service_en"]) == ("业务办理", "Underwriting")
    assert event.data["ahead"] == 1 and event.data["wait_minutes"] > 0  # A001 is ahead
    assert snapshot(desk.state) == before  # the queue, the numbers, the devices: unchanged
    assert desk.ok(c.Issue("A"))[-1].ticket == "A003"


def test_a_named_ticket_of_today_is_reprinted_with_its_place_now(desk: Desk) -> None:
    desk.ok(c.Issue("B"))
    desk.ok(c.Issue("B", priority="elderly"))
    desk.ok(c.Issue("B"))
    [event] = desk.ok(c.Reprint(" b003 "))  # typed by staff: spaces and case forgiven
    assert event.ticket == "B003" and event.data["ahead"] == 2
    priority = desk.ok(c.Reprint("B002"))[0].data
    assert (priority["priority"], priority["ahead"], priority["number"]) == ("elderly", 0, 2)
    desk.ok(c.CallNext(3))  # B002, the priority ticket
    desk.ok(c.Finish(3))
    done = desk.ok(c.Reprint("B002"))[0]
    assert done.data["status"] == FINISHED and done.data["ahead"] == 0


def test_nothing_to_reprint_and_unknown_tickets_are_courteous_refusals(desk: Desk) -> None:
    assert desk.rejected(c.Reprint()) == "nothing_to_reprint"
    desk.ok(c.Issue("A"))
    result = desk(c.Reprint("A099"))
    assert isinstance(result, Rejected) and result.code == "no_such_ticket"
    for r in (result, Rejected("nothing_to_reprint")):
        m = messages.rejection(r)
        assert "抱歉" in m.zh and "请" in m.zh and "Sorry" in m.en and "Please" in m.en


def test_a_ticket_of_yesterday_cannot_be_reprinted_today() -> None:
    d = Desk(make_config(), at(2026, 11, 23, 16))
    d.ok(c.Issue("A"))
    d.now = at(2026, 11, 24, 9)
    assert d.rejected(c.Reprint("A001")) == "no_such_ticket"
    assert d.rejected(c.Reprint()) == "nothing_to_reprint"


def test_replay_with_reprints_rebuilds_the_same_state(desk: Desk) -> None:
    for cmd in (c.Issue("A"), c.Issue("B"), c.Reprint(), c.CallNext(1), c.Reprint("A001"),
                c.Issue("A"), c.Reprint()):
        desk.ok(cmd)
    assert [e.type for e in desk.log].count(REPRINTED) == 3
    assert snapshot(replay(desk.state.config, desk.log)) == snapshot(desk.state)
    assert replay(desk.state.config, desk.log).last_issued == "A002"


# --------------------------------------------------------------------------- the wire


def test_reprint_is_a_socket_command_with_an_optional_ticket() -> None:
    assert "reprint" in c.SOCKET_COMMANDS
    assert c.from_wire({"cmd": "reprint"}, c.SOCKET_COMMANDS) == c.Reprint()
    assert c.from_wire({"cmd": "reprint", "args": {"ticket": "A012"}}) == c.Reprint("A012")
    for bad in (12, "", "x" * 33, "A0\n12"):
        with pytest.raises(ProtocolError):
            c.from_wire({"cmd": "reprint", "args": {"ticket": bad}})


# --------------------------------------------------------------------------- device ticket


def test_a_device_report_names_the_ticket_in_its_own_field(desk: Desk) -> None:
    first = desk.ok(c.ReportDevice("printer", "paper_out", "paper end", ticket="A001"))[-1]
    assert first.type == DEVICE_STATUS and first.ticket == "A001"
    assert first.data == {"device": "printer", "status": "paper_out", "detail": "paper end"}
    # the same status again is news when it names another ticket...
    assert desk.ok(c.ReportDevice("printer", "paper_out", "paper end", ticket="A002"))
    # ...and no news without one
    assert desk.ok(c.ReportDevice("printer", "paper_out", "paper end")) == []
    assert desk.state.devices["printer"] == {"status": "paper_out", "detail": "paper end"}
    long = desk.ok(c.ReportDevice("printer", "paper_out", "", ticket="T" * 500))[0]
    assert long.ticket is not None and len(long.ticket) == c.TEXT_MAX


# --------------------------------------------------------------------------- the printer


@pytest.fixture
def kiosk(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[KioskService, Any, ControlServer]]:
    cfg = make_config(tmp_path, printer={"url": "dummy://", "chinese_mode": "gb18030"})
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    sub = driver_parts(printer, cfg, svc.submit, "printer").subscribers[0]
    svc.add_subscriber(sub)
    svc.start()
    # no device actions: the socket reaches the printer only through the command path
    server = ControlServer(tmp_path / "ctl" / "control.sock", svc, {})
    server.start()
    try:
        yield svc, sub, server
    finally:
        server.stop()
        svc.stop()
        svc.store.close()


def test_reprint_on_the_socket_is_recorded_and_printed_as_a_marked_copy(
        kiosk: tuple[KioskService, Any, ControlServer], clock: FakeClock) -> None:
    svc, sub, server = kiosk
    backend = sub.backend
    assert isinstance(backend, backends.DummyBackend)
    assert request(server.path, {"cmd": "issue", "args": {"service": "A"}})["ok"]
    wait_for(lambda: backend.output)
    first = bytes(backend.output)
    assert REPRINT_MARK not in first
    clock.advance(minutes=25)
    reply = request(server.path, {"cmd": "reprint"})
    assert reply["ok"], reply
    [event] = reply["events"]
    assert (event["type"], event["ticket"]) == ("reprinted", "A001")
    wait_for(lambda: backend.output != first)  # the backend keeps the last job's bytes
    copy = backend.output
    assert REPRINT_MARK in copy
    assert b"2026-11-23 10:00" in copy and b"10:25" not in copy  # the original issue time
    assert [e.type for e in svc.store.events()][-1] == "reprinted"  # in the record (and MQTT)
    refused = request(server.path, {"cmd": "reprint", "args": {"ticket": "B001"}})
    assert refused["ok"] is False and refused["code"] == "no_such_ticket"


def test_a_reprint_that_does_not_print_names_its_ticket(tmp_path: Path) -> None:
    reports = Reports()
    sub = driver_parts(printer, make_config(printer={"url": "dummy://"}), reports,
                       "printer").subscribers[0]
    try:
        wait_for(lambda: reports.statuses == ["ok"])
        sub.backend.session = _unplugged
        reprinted = issued("B012")._replace(type=REPRINTED, ts="2026-11-23T11:00:00+08:00",
                                            data={**issued().data,
                                                  "issued_at": "2026-11-23T09:41:05+08:00"})
        sub.handle(reprinted, None)  # type: ignore[arg-type]
        last = reports.commands[-1]
        assert isinstance(last, c.ReportDevice)
        assert (last.status, last.ticket) == ("offline", "B012")
        assert "unplugged" in last.detail
    finally:
        sub.close()


def _unplugged() -> Any:
    raise OSError("USB cable unplugged")
