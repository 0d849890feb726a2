"""``kiosk monitor``: a live table of a branch's kiosks, read from the branch broker.

It subscribes to ``{prefix}/{branch}/+/availability``, ``.../+/state`` and
``.../+/events/#`` (the retained availability and state arrive at once, events as they
happen) and shows one row per kiosk: availability, printer, counters, people waiting,
outbox backlog and the age of the last event. ``--once N`` prints the table after N
seconds and exits (for scripts and for checking a branch from cron).

:class:`BranchView` is the pure part: it folds messages into rows and knows nothing of
paho or the terminal. It applies the session rule of :mod:`kiosk.mqtt.link`: an
``offline`` whose ``session`` is not that of the kiosk's latest birth or state is the
late will of an older connection, and is ignored.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk import messages

log = logging.getLogger(__name__)
REFRESH_S = 0.5
_SCHEMES = {"mqtt": 1883, "mqtts": 8883}


@dataclass
class KioskRow:
    """What is known of one kiosk, from its messages."""

    device: str
    availability: str | None = None  # online / offline
    session: str | None = None  # of the latest birth or state
    state: dict[str, Any] = field(default_factory=dict)
    last_event: dict[str, Any] | None = None
    last_event_at: float | None = None  # epoch s: the event's own ts, else its arrival
    last_seq: int | None = None


class BranchView:
    """The branch as its messages tell it: ``fold()`` each message, read ``rows``."""

    def __init__(self, prefix: str, branch: str) -> None:
        self.prefix, self.branch = prefix, branch
        self.kiosks: dict[str, KioskRow] = {}
        self._lock = threading.Lock()  # paho's thread folds, the screen's thread reads

    def filters(self) -> list[str]:
        base = f"{self.prefix}/{self.branch}/+"
        return [f"{base}/availability", f"{base}/state", f"{base}/events/#"]

    def fold(self, topic: str, payload: bytes, session: str | None = None,
             received: float | None = None) -> bool:
        """Take one message; False if it is not one of a kiosk's (or not readable)."""
        parts = topic.split("/")
        if (len(parts) < 4 or parts[0] != self.prefix or parts[1] != self.branch
                or parts[3] not in ("availability", "state", "events")):
            return False
        received = time.time() if received is None else received
        with self._lock:
            row = self.kiosks.get(parts[2]) or KioskRow(parts[2])
            ok = self._fold(row, parts[3], payload, session, received)
            if ok:
                self.kiosks[row.device] = row
            return ok

    @staticmethod
    def _fold(row: KioskRow, kind: str, payload: bytes, session: str | None,
              received: float) -> bool:
        if kind == "availability":
            word = payload.decode("utf-8", "replace").strip()
            if word not in ("online", "offline"):
                return False
            if (word == "offline" and session and row.session
                    and session != row.session and row.availability == "online"):
                log.info("%s: offline from an older session %s ignored", row.device, session)
                return False
            row.availability = word
            row.session = session or row.session
            return True
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            return False
        if not isinstance(data, dict):
            return False
        if kind == "state":
            row.state = data
            if isinstance(data.get("session"), str):
                row.session = data["session"]
            return True
        seq = data.get("seq")
        if isinstance(seq, int) and row.last_seq is not None and seq <= row.last_seq:
            return True  # a repeat (at-least-once) or older: nothing new
        row.last_seq = seq if isinstance(seq, int) else row.last_seq
        row.last_event = data
        row.last_event_at = _epoch(data.get("ts")) or received
        return True

    def rows(self) -> list[KioskRow]:
        with self._lock:
            return [self.kiosks[k] for k in sorted(self.kiosks)]


def _epoch(ts: Any) -> float | None:
    try:
        when = datetime.fromisoformat(ts)
    except (TypeError, ValueError):
        return None
    return when.timestamp() if when.tzinfo is not None else None


def age(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 90:
        return f"{s} s"
    if s < 90 * 60:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def _obj(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _list(x: Any) -> list[dict[str, Any]]:
    return [i for i in x if isinstance(i, dict)] if isinstance(x, list) else []


def _short(x: Any, limit: int = 24) -> str:
    """A value from the network, as one bounded line."""
    text = " ".join(str(x).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _counter(c: dict[str, Any], unknown: str) -> str:
    """``3 A012`` for an open counter (its current ticket), ``4 暂停服务 / paused``..."""
    status, cid = c.get("status"), _short(c.get("id"), 6)
    if status == "open":
        return f"{cid} {_short(c.get('current') or '-', 12)}"
    word = messages.text(f"cli_counter_{status}") if status in ("paused", "closed") else unknown
    return f"{cid} {word}"


def cells(row: KioskRow, now: float) -> list[str]:
    """The row's text, column by column (see :data:`COLUMNS`). Whatever a kiosk (or
    anyone allowed to publish there) sent, this never raises and stays short."""
    st, t = row.state, messages.text
    unknown = str(t("mon_unknown"))
    avail = {"online": str(t("mon_online")), "offline": str(t("mon_offline"))}.get(
        row.availability or "", unknown)
    printer = _obj(_obj(st.get("devices")).get("printer"))
    counters = "\n".join(_counter(c, unknown) for c in _list(st.get("counters")))
    waiting = "\n".join(f"{_short(s.get('prefix'), 4)} {_short(s.get('waiting'), 8)}"
                        for s in _list(st.get("services")))
    outbox = _obj(st.get("outbox"))
    backlog = _short(outbox.get("backlog", unknown), 12) + (" !" if outbox.get("alarm") else "")
    last = unknown
    if row.last_event is not None and row.last_event_at is not None:
        ago = t("mon_ago", age=age(now - row.last_event_at))
        last = f"{_short(row.last_event.get('type'))}\n{ago}"
    return [_short(row.device, 40), avail, _short(printer.get("status", unknown)),
            counters or unknown, waiting or unknown, backlog, last]


COLUMNS = ("mon_kiosk", "mon_availability", "mon_printer", "mon_counters", "mon_waiting",
           "mon_outbox", "mon_last_event")


def table(view: BranchView, broker: str, now: float | None = None) -> Any:
    """The Rich table of ``view`` as of ``now``."""
    from rich.table import Table
    from rich.text import Text

    now = time.time() if now is None else now
    # Text, never markup: a "[" in what a kiosk sent must not be read as a Rich style
    tab = Table(title=Text(str(messages.text("mon_title", branch=view.branch,
                                             broker=broker))), show_lines=True)
    for key in COLUMNS:
        m = messages.text(key)
        tab.add_column(f"{m.zh}\n{m.en}")
    rows = view.rows()
    for row in rows:
        style = "red" if row.availability == "offline" else None
        tab.add_row(*(Text(c) for c in cells(row, now)), style=style)
    if not rows:
        tab.caption = str(messages.text("mon_none_yet"))
    return tab


# ----------------------------------------------------------------------------- command


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the branch broker, e.g. mqtt://broker:1883 (default: "
                   "mqtt.url of the config, else mqtt://localhost:1883)")
    p.add_argument("--prefix", help="first topic level (default: mqtt.prefix, else kiosk)")
    p.add_argument("--branch", help="the branch code (default: branch.code of the config)")
    p.add_argument("--username", help="MQTT user name, e.g. it-monitor (default: "
                   "mqtt.username of the config)")
    p.add_argument("--password-file", help="file whose first line is the password")
    p.add_argument("--ca-file", help="CA certificate for mqtts:// (default: mqtt.ca_file, "
                   "else the system's)")
    p.add_argument("--once", type=float, metavar="SECONDS",
                   help="print the table after SECONDS and exit, instead of a live view")


@dataclass
class _Options:
    url: str
    prefix: str
    branch: str
    username: str | None
    password_file: Path | None
    ca_file: Path | None


def _options(args: argparse.Namespace) -> _Options | None:
    from kiosk.cli import _config_path

    url, prefix, branch, user, pw, ca = (args.url, args.prefix, args.branch, args.username,
                                         args.password_file, args.ca_file)
    path = _config_path(getattr(args, "config", None))
    if path is not None:
        from kiosk import config as config_mod

        cfg = config_mod.load(path)
        url = url or cfg.mqtt.url
        prefix = prefix or cfg.mqtt.prefix
        branch = branch or cfg.branch.code
        user = user or cfg.mqtt.username
        pw = pw or cfg.mqtt.password_file
        ca = ca or cfg.mqtt.ca_file
    if not branch:
        return None
    return _Options(url or "mqtt://localhost:1883", prefix or "kiosk", branch, user,
                    Path(pw) if pw else None, Path(ca) if ca else None)


def _client(o: _Options, view: BranchView, failed: list[str]) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    parts = urlsplit(o.url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ValueError(f"{o.url!r} is not mqtt://host:port or mqtts://host:port")
    c = mqtt.Client(CallbackAPIVersion.VERSION2,
                    client_id=f"kiosk-monitor-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    if o.username:
        password = None
        if o.password_file is not None:
            password = (o.password_file.read_text(encoding="utf-8").splitlines() or [""])[0]
        c.username_pw_set(o.username, password)
    if parts.scheme == "mqtts":
        c.tls_set(ca_certs=str(o.ca_file) if o.ca_file else None)

    def on_connect(client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            failed.append(f"{reason.value} {reason}")
            return
        client.subscribe([(f, 1) for f in view.filters()])

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        session = None
        props = getattr(msg, "properties", None)
        for k, v in getattr(props, "UserProperty", None) or []:
            if k == "session":
                session = v
        view.fold(msg.topic, bytes(msg.payload), session)

    c.on_connect, c.on_message = on_connect, on_message
    c.connect(parts.hostname, parts.port or _SCHEMES[parts.scheme], keepalive=30)
    return c


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    o = _options(args)
    if o is None:
        print(messages.text("mon_no_branch"), file=sys.stderr)
        return 2
    view = BranchView(o.prefix, o.branch)
    failed: list[str] = []
    try:
        client = _client(o, view, failed)
    except (OSError, ValueError) as exc:
        print(messages.text("mon_connect_failed", broker=o.url, detail=exc), file=sys.stderr)
        return 3
    client.loop_start()
    try:
        return _show(view, o.url, failed, args.once, Console())
    except KeyboardInterrupt:
        return 0
    finally:
        client.disconnect()
        client.loop_stop()


def _show(view: BranchView, broker: str, failed: list[str], once: float | None,
          console: Any) -> int:
    from rich.live import Live

    def refused() -> bool:
        if failed:  # the broker answered, and refused us
            print(messages.text("mon_refused", broker=broker, detail=failed[0]),
                  file=sys.stderr)
        return bool(failed)

    if once is not None:
        end = time.monotonic() + max(0.0, once)
        while time.monotonic() < end and not failed:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        if refused():
            return 3
        console.print(table(view, broker))
        return 0
    with Live(table(view, broker), console=console, refresh_per_second=4) as live:
        while not refused():
            time.sleep(REFRESH_S)
            live.update(table(view, broker))
    return 3
