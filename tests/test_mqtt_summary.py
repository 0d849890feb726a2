"""The daily summary against a real Mosquitto: a day of events, then the first command
of the next business day; ``{base}/summary/daily`` arrives, QoS 1 and retained, with
the figures ``kiosk.report.summary`` gives for the day just ended."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date

from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.report import periods, store_summary
from tests.mosquitto import Broker
from tests.support import at, wait_for
from tests.test_mqtt_relay import TOPICS, Listener, MqttKiosk, done, kiosk_on, listen

__all__ = ["kiosk_on", "listen"]  # fixtures used by name


def a_day_of_work(k: MqttKiosk, clock: FakeClock) -> None:
    """Monday 2026-11-23: five tickets, four served (one rated), one no-show."""
    clock.set(at(2026, 11, 23, 9, 0))
    for _ in range(5):
        done(k.svc, c.Issue("A"))
    for minutes, cmd in [(5, c.CallNext(1)), (12, c.Finish(1)), (13, c.Rate(1, "good")),
                         (14, c.CallNext(1)), (20, c.CallNext(2)), (30, c.NoShow(2)),
                         (31, c.CallNext(2)), (40, c.Finish(1)), (45, c.Finish(2)),
                         (50, c.CallNext(1)), (58, c.Finish(1))]:
        clock.set(at(2026, 11, 23, 9, minutes))
        done(k.svc, cmd)


def test_the_day_just_ended_is_summarised_on_the_day_change(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk], clock: FakeClock) -> None:
    sub = listen(TOPICS.daily_summary)
    k = kiosk_on(broker)
    a_day_of_work(k, clock)
    assert k.publisher.summary is not None
    assert sub.on("/summary/daily") == []  # nothing while the day runs
    clock.set(at(2026, 11, 24, 8, 40))  # Tuesday: the first command starts the new day
    assert done(k.svc, c.Issue("A")).events[0].type == "day_started"
    assert wait_for(lambda: bool(sub.on("/summary/daily")), 15)
    got = sub.on("/summary/daily")
    assert len(got) == 1 and got[0].qos == 1
    body = got[0].json()
    assert (body["day"], body["branch"], body["device"]) == ("2026-11-23", "east-city", "k1")
    expected = store_summary(k.svc.config, periods.day(date(2026, 11, 23)))
    assert body["summary"] == json.loads(json.dumps(expected))
    totals = body["summary"]["totals"]
    assert (totals["issued"], totals["served"], totals["no_show"]) == (5, 4, 1)

    # retained: a consumer that subscribes later still gets the latest summary
    late = listen(TOPICS.daily_summary)
    assert wait_for(lambda: bool(late.on("/summary/daily")), 10)
    assert late.on("/summary/daily")[0].retain
    assert late.on("/summary/daily")[0].json()["day"] == "2026-11-23"


def test_a_new_day_after_a_weekend_summarises_the_last_day_worked(
        broker: Broker, listen: Callable[..., Listener],
        kiosk_on: Callable[..., MqttKiosk], clock: FakeClock) -> None:
    sub = listen(TOPICS.daily_summary)
    k = kiosk_on(broker)
    clock.set(at(2026, 11, 27, 10, 0))  # Friday
    done(k.svc, c.Issue("A"))
    clock.set(at(2026, 11, 30, 9, 0))  # Monday
    done(k.svc, c.Issue("A"))
    def friday() -> list[dict[str, object]]:
        return [g.json() for g in sub.on("/summary/daily") if g.json()["day"] == "2026-11-27"]

    assert wait_for(friday, 15)  # not Sunday, Saturday or "yesterday": the last day worked
    summary = friday()[0]["summary"]
    assert isinstance(summary, dict) and summary["totals"]["issued"] == 1
    assert all(g.json()["day"] < "2026-11-30" for g in sub.on("/summary/daily"))


def test_the_summary_does_not_import_the_plotting_library() -> None:
    code = ("import sys, kiosk.report.daily, kiosk.mqtt.summary; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
