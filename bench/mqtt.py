"""MQTT figures, through a Mosquitto of the bench's own on a free loopback port.

* **Fleet** (the way to head office): 50 simulated kiosks, each replaying a busy day
  (600 tickets: ``issued``, ``called`` and ``finished``, 1,800 events), publish QoS 1 to
  ``kiosk/bench/<device>/events/<type>`` through one broker to one consumer, which
  parses each JSON payload and drops repeats by ``(branch, device, seq)`` as head office
  would. The kiosks are paho clients in 5 processes (10 each), the consumer a paho
  client in this one. ``fleet_events_per_s``: all of them flat out, from the start
  signal until the consumer has every event; ``fleet_e2e_p50_ms``/``p99``: from the
  kiosk handing an event to paho until the consumer has parsed it, in that flat-out run
  (a queue forms: this is the worst case). ``fleet_paced_e2e_p50_ms``/``p99``: the same
  latency with the fleet paced at ``fleet_paced_events_per_s`` (about 300 times a real
  busy day). ``fleet_missing`` and ``fleet_out_of_order`` must be 0.
  ``fleet_into_broker_events_per_s``: the flat-out events over the time until every
  kiosk had its last PUBACK (the broker's intake; the gap to ``fleet_events_per_s`` is
  the one consumer's limit).
* **Outbox drain**: a real kiosk (``bootstrap.build``, ``[mqtt] url`` set, the MQTT driver
  only: 10,000 printed tickets would time the printer) issues 10,000 tickets while its
  broker is down; then the broker starts. ``outbox_drain_events_per_s``: the events over
  the time from the first to the last arriving at a subscriber;
  ``outbox_reconnect_s``: broker start to the first event (the link's reconnect
  back-off); ``outbox_drain_total_s`` both together; ``outbox_left_unsent`` the outbox's
  backlog afterwards (0).
* **Call-next to subscriber**: a real kiosk with the demo's stand-in drivers (printer,
  call display, voice); ``call-next`` is submitted and timed until a subscriber of
  ``events/called`` has the event, then the ticket is finished.
  ``mqtt_call_next_p50_ms``/``p99``: the ticket was issued 0.3 s before (printed), as
  when a clerk calls someone who is waiting. ``mqtt_call_next_after_issue_...``: the
  call comes right behind the issue, while the printer stand-in still renders that
  ticket on another thread (Python's GIL is shared): the unlucky case.

    python -m bench.mqtt [--quick]
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.util import pct, quick_mode
from tests.mosquitto import Broker

log = logging.getLogger(__name__)
KIOSKS, PROCS, TICKETS = 50, 5, 600
KINDS = ("issued", "called", "finished")
PACED_PER_KIOSK = 20  # events/s each while paced: 1,000/s for the fleet
DRAIN_EVENTS = 10_000
QUIET_S = 0.3  # after an issue: the stand-in printer has rendered and "printed" it


def _client(broker_port: int, client_id: str = "") -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(100)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", broker_port, keepalive=30)
    c.loop_start()
    return c


class Consumer:
    """One subscriber: parses, de-duplicates by (branch, device, seq), keeps latencies."""

    def __init__(self, port: int, topic: str) -> None:
        self.seen: set[tuple[str, str, int]] = set()
        self.last_seq: dict[str, int] = {}
        self.out_of_order = 0
        self.latency_ms: list[float] = []
        self.arrivals: list[float] = []  # perf_counter of each new event
        self.got = threading.Event()
        self.want = 0
        self._subscribed = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *_a: self._subscribed.set()
        self.c.on_connect = lambda cl, *_a: cl.subscribe(topic, qos=1)
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("the consumer could not subscribe")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        e = json.loads(msg.payload)
        key = (e.get("branch"), e.get("device"), e.get("seq"))
        if key in self.seen:
            return
        self.seen.add(key)
        self.arrivals.append(now)
        if "t_ns" in e:
            self.latency_ms.append((time.time_ns() - e["t_ns"]) / 1e6)
        if e["seq"] < self.last_seq.get(e["device"], 0):
            self.out_of_order += 1
        self.last_seq[e["device"]] = e["seq"]
        if self.want and len(self.seen) >= self.want:
            self.got.set()

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


# --- the fleet -------------------------------------------------------------------------


def _day(device: str, tickets: int) -> list[tuple[str, dict[str, Any]]]:
    """A busy day of one kiosk: each ticket issued, later called, then finished."""
    out, seq = [], 0
    for n in range(1, tickets + 1):
        for kind in KINDS:
            seq += 1
            out.append((kind, {"type": kind, "seq": seq, "ts": "2026-11-23T10:00:00+08:00",
                               "day": "2026-11-23", "ticket": f"A{n:03d}", "service": "A",
                               "counter": None if kind == "issued" else 1 + n % 8,
                               "source": "button", "data": {}, "branch": "bench",
                               "device": device}))
    return out


def _kiosks(port: int, first: int, count: int, go: Any, ready: Any, per_s: float,
            seconds: float, tickets: int) -> None:
    """A worker process: ``count`` kiosks; flat out (``per_s`` 0) or paced."""
    clients = {f"k{i:02d}": _client(port, f"bench-k{i:02d}") for i in range(first,
                                                                              first + count)}
    days = {d: _day(d, tickets) for d in clients}
    ready.release()
    go.wait()
    last: dict[str, mqtt.MQTTMessageInfo] = {}

    def send(i: int) -> None:
        for d, c in clients.items():
            kind, e = days[d][i]
            e["t_ns"] = time.time_ns()
            last[d] = c.publish(f"kiosk/bench/{d}/events/{kind}", json.dumps(e), qos=1)

    if per_s <= 0:
        for i in range(tickets * len(KINDS)):
            send(i)
    else:
        t0, i = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds:
            send(i)
            i += 1
            time.sleep(max(0.0, t0 + i / per_s - time.perf_counter()))
    for d, c in clients.items():  # QoS 1 in order: the last PUBACK means all are in
        last[d].wait_for_publish(300)
        c.disconnect()
        c.loop_stop()


def fleet(port: int, tickets: int = TICKETS, per_s: float = 0,
          seconds: float = 0) -> dict[str, float]:
    paced = per_s > 0
    consumer = Consumer(port, "kiosk/bench/+/events/#")
    ctx = mp.get_context("fork")
    go, ready = ctx.Event(), ctx.Semaphore(0)
    each = KIOSKS // PROCS
    procs = [ctx.Process(target=_kiosks, args=(port, p * each, each, go, ready, per_s,
                                               seconds, tickets)) for p in range(PROCS)]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            if not ready.acquire(timeout=30):
                raise TimeoutError("a kiosk process did not connect")
        total = KIOSKS * tickets * len(KINDS)
        if paced:
            total = KIOSKS * int(per_s * seconds)
        consumer.want = total
        t0 = time.perf_counter()
        go.set()
        for p in procs:  # a kiosk process ends once its last PUBACK is in
            p.join(120 + seconds)
        into_broker = time.perf_counter() - t0
        if not consumer.got.wait(120 + seconds):
            log.warning("fleet: %d of %d events arrived", len(consumer.seen), total)
        took = (consumer.arrivals[-1] if consumer.arrivals else time.perf_counter()) - t0
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
                p.join()
        consumer.close()
    lat = consumer.latency_ms
    name = "fleet_paced" if paced else "fleet"
    out: dict[str, float] = {}
    if paced:
        out["fleet_paced_events_per_s"] = round(len(consumer.seen) / max(took, 1e-9))
    else:
        out.update(fleet_kiosks=KIOSKS, fleet_tickets_per_kiosk=tickets, fleet_events=total,
                   fleet_events_per_s=round(len(consumer.seen) / took),
                   fleet_into_broker_events_per_s=round(total / into_broker))
    out[f"{name}_e2e_p50_ms"] = round(pct(lat, 0.5), 2)
    out[f"{name}_e2e_p99_ms"] = round(pct(lat, 0.99), 2)
    out[f"{name}_missing"] = total - len(consumer.seen)
    out[f"{name}_out_of_order"] = consumer.out_of_order
    return out


# --- a real kiosk ----------------------------------------------------------------------


def _kiosk(tmp: Path, broker: Broker, drivers: bool) -> Any:
    from kiosk import bootstrap
    from kiosk import mqtt as kiosk_mqtt
    from kiosk.clock import FakeClock
    from tests.support import OFFICE, at, make_config

    cfg = make_config(tmp, hours=OFFICE, branch={"code": "bench", "device_id": "k1"},
                      mqtt={"url": broker.url, "discovery": False,
                            "outbox_alarm": 10 * DRAIN_EVENTS})
    k = bootstrap.build(cfg, clock=FakeClock(at(2026, 11, 23, 10)), control=False,
                        hardware=drivers)
    if not drivers:  # the MQTT driver alone, wired through the public contract
        ctx = bootstrap.driver_context(cfg, k.service.submit, "mqtt", lambda: k.service.status)
        for sub in kiosk_mqtt.build(ctx).subscribers:
            k.service.add_subscriber(sub)
    return k


def drain(tmp: Path, n: int) -> dict[str, float]:
    from kiosk import commands as c
    from kiosk.outbox import Outbox

    broker = Broker(tmp / "broker")  # not started: the outage
    k = _kiosk(tmp / "kiosk", broker, drivers=False)
    k.start()
    try:
        seq_max = 0
        for start in range(0, n, 100):  # the command queue is bounded: 100 at a time
            futures = [k.service.submit(c.Issue("ABC"[i % 3]), "bench")
                       for i in range(start, min(n, start + 100))]
            for f in futures:
                seq_max = max([seq_max, *(e.seq or 0 for e in f.result(120).events)])
        broker.start()
        t_start = time.perf_counter()
        consumer = Consumer(broker.port, "kiosk/bench/k1/events/#")
        try:
            consumer.want = seq_max  # every event of the day, day_started included
            if not consumer.got.wait(300):
                log.warning("drain: %d of %d events arrived", len(consumer.seen), seq_max)
        finally:
            consumer.close()
        deadline = time.monotonic() + 10
        ob = Outbox(Path(k.config.storage_path))
        try:  # the relay marks the last PUBACKs a moment after they arrive
            while (left := ob.backlog()) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            ob.close()
    finally:
        k.stop()
        broker.stop()
    if not consumer.arrivals:
        raise RuntimeError("no event arrived from the outbox within 300 s of the broker's "
                           "start: the kiosk's link did not send (see its log lines)")
    first, last = consumer.arrivals[0], consumer.arrivals[-1]
    got = len(consumer.seen)
    return {"outbox_drain_events": got,
            "outbox_drain_events_per_s": round(got / max(last - first, 1e-9)),
            "outbox_reconnect_s": round(first - t_start, 2),
            "outbox_drain_total_s": round(last - t_start, 2),
            "outbox_drain_out_of_order": consumer.out_of_order, "outbox_left_unsent": left}


def call_next(tmp: Path, n: int) -> dict[str, float]:
    from kiosk import commands as c

    with Broker(tmp / "broker2") as broker:
        k = _kiosk(tmp / "kiosk2", broker, drivers=True)
        k.start()
        got: queue.Queue[tuple[float, int]] = queue.Queue()
        sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        sub.on_message = lambda _c, _u, m: got.put((time.perf_counter(),
                                                    json.loads(m.payload)["seq"]))
        ready = threading.Event()
        sub.on_subscribe = lambda *_a: ready.set()
        sub.on_connect = lambda cl, *_a: cl.subscribe("kiosk/bench/k1/events/called", qos=1)
        sub.connect("127.0.0.1", broker.port)
        sub.loop_start()
        times: list[float] = []
        after_issue: list[float] = []
        try:
            ready.wait(10)
            deadline = time.monotonic() + 30
            while k.service.status.devices.get("mqtt", {}).get("status") != "ok":
                if time.monotonic() > deadline:
                    raise TimeoutError("the kiosk did not connect")
                time.sleep(0.01)
            for i in range(2 * n):
                k.service.submit(c.Issue("A"), "bench").result(10)
                busy = i % 2 == 1  # every other call comes while the ticket still prints
                if not busy:
                    time.sleep(QUIET_S)
                t0 = time.perf_counter()
                events = k.service.submit(c.CallNext(1), "bench").result(10).events
                seq = next(e.seq for e in events if e.type == "called")
                while True:
                    at, s = got.get(timeout=10)
                    if s == seq:
                        break
                (after_issue if busy else times).append((at - t0) * 1000)
                k.service.submit(c.Finish(1), "bench").result(10)
                time.sleep(QUIET_S)  # the call's display, voice and printer work done
        finally:
            sub.disconnect()
            sub.loop_stop()
            k.stop()
    return {"mqtt_call_next_p50_ms": round(pct(times, 0.5), 2),
            "mqtt_call_next_p99_ms": round(pct(times, 0.99), 2),
            "mqtt_call_next_after_issue_p50_ms": round(pct(after_issue, 0.5), 2),
            "mqtt_call_next_after_issue_p99_ms": round(pct(after_issue, 0.99), 2)}


def run(quick: bool = False) -> dict[str, float]:
    quick = quick or quick_mode()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with Broker(tmp / "fleet") as broker:
            out.update(fleet(broker.port, 100 if quick else TICKETS))
            out.update(fleet(broker.port, TICKETS, PACED_PER_KIOSK, 2 if quick else 10))
        out.update(drain(tmp, 2000 if quick else DRAIN_EVENTS))
        out.update(call_next(tmp, 20 if quick else 100))
    return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    json.dump(run("--quick" in sys.argv), sys.stdout, indent=2)
    print()
