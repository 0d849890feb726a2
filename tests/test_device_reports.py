"""Device reports are bounded: every status reply and MQTT state carries all devices.

An adversarial run sent 200 reports with 30 KB details over the control socket: every
status reply grew to 6 MB and RSS to 302 MB. The socket no longer takes reports, and the
core bounds what any reporter can add.
"""

from __future__ import annotations

from kiosk import commands as c
from kiosk.core.decide import MAX_DETAIL_CHARS, MAX_DEVICES
from kiosk.status import snapshot
from tests.support import Desk


def test_detail_is_cut_to_a_bounded_length(desk: Desk) -> None:
    event = desk.ok(c.ReportDevice("printer", "paper_out", "x" * 30_000))[-1]
    assert len(event.data["detail"]) == MAX_DETAIL_CHARS
    assert len(desk.state.devices["printer"]["detail"]) == MAX_DETAIL_CHARS
    # the same report again is no change, so no new event
    assert desk.ok(c.ReportDevice("printer", "paper_out", "x" * 30_000)) == []


def test_device_names_are_short_and_plain(desk: Desk) -> None:
    for bad in ("", "p" * 41, "printer\n", "打印机", " printer", "a/b"):
        assert desk.rejected(c.ReportDevice(bad, "ok")) == "bad_device_name", bad
    desk.ok(c.ReportDevice("display:hall", "ok"))


def test_the_number_of_devices_is_capped(desk: Desk) -> None:
    for i in range(MAX_DEVICES):
        desk.ok(c.ReportDevice(f"dev{i}", "ok"))
    assert desk.rejected(c.ReportDevice("one-too-many", "ok")) == "too_many_devices"
    # a known device can still change its status
    assert desk.ok(c.ReportDevice("dev0", "offline", "unplugged"))
    assert len(snapshot(desk.state).devices) == MAX_DEVICES


def test_unknown_status_is_refused_with_a_short_echo(desk: Desk) -> None:
    result = desk(c.ReportDevice("printer", "z" * 5000))
    assert getattr(result, "code", None) == "bad_device_status"
    assert len(result.params["status"]) <= 20  # type: ignore[union-attr]
