"""What the staff panel shows and asks, worked out from the status and events (no Kivy).

The panel only ever *sends commands* (through the link's ``send``); everything here
turns a status dict, a few events or a reply into the words and choices on screen:
which actions a counter offers, what a destructive action will do (asked once before it
is sent), the queue per service, the tickets missed today, each device's state, and the
answer to a command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk import events as ev
from kiosk.messages import Bilingual, text
from ui.hall_model import counter_state, serves

# counter actions, in the order their buttons appear, and their labels
ACTIONS: dict[str, str] = {"open": "staff_open", "resume": "staff_resume",
                           "pause": "staff_pause", "transfer": "staff_transfer",
                           "close": "staff_close"}
DESTRUCTIVE = frozenset({"close", "reinstate", "transfer"})  # asked once before sending
# pause reasons staff choose from (sent as the reason code; the catalogue words them)
PAUSE_REASONS: dict[str, str] = {"break": "staff_reason_break",
                                 "handover": "staff_reason_meeting",
                                 "maintenance": "staff_reason_system"}
PRIORITY_LABELS: dict[str, str] = {"elderly": "staff_priority_elderly",
                                   "disabled": "staff_priority_disabled",
                                   "urgent": "staff_priority_urgent"}
DEVICE_KINDS: dict[str, str] = {"printer": "staff_device_printer",
                                "display": "staff_device_display",
                                "voice": "staff_device_voice",
                                "buttons": "staff_device_buttons",
                                "mqtt": "staff_device_mqtt",
                                "outbox": "staff_device_outbox"}
DEVICE_STATES: dict[str, str] = {"ok": "staff_device_ok", "paper_low": "staff_device_paper_low",
                                 "paper_out": "staff_device_paper_out",
                                 "cover_open": "staff_device_cover_open",
                                 "offline": "staff_device_offline",
                                 "error": "staff_device_error",
                                 "absent": "staff_device_absent"}
# tones: ok (dark), warn (amber: act soon), fault (red: act now), off (grey)
DEVICE_TONES: dict[str, str] = {"ok": "ok", "paper_low": "warn", "absent": "off"}


def label(key: str) -> Bilingual:
    return text(key)


def counter_actions(c: Mapping[str, Any]) -> list[str]:
    """The actions a counter offers now, in button order."""
    if c["status"] == "closed":
        return ["open"]
    if c["status"] == "paused":
        return ["resume", "close"]
    return ["pause", *(["transfer"] if c.get("current") else []), "close"]


@dataclass(frozen=True, slots=True)
class CounterLine:
    id: int
    name: Bilingual
    serves: Bilingual
    state: Bilingual
    tone: str
    actions: tuple[str, ...]
    current: str | None


def counter_lines(status: Mapping[str, Any]) -> list[CounterLine]:
    out = []
    for c in sorted(status.get("counters", ()), key=lambda c: c["id"]):
        state, tone = counter_state(c)
        out.append(CounterLine(c["id"], text("hall_counter", counter=c["id"]),
                               serves(c.get("services", ()), status), state, tone,
                               tuple(counter_actions(c)), c.get("current")))
    return out


def redirect_choices(status: Mapping[str, Any], cid: int) -> list[int]:
    """Counters a paused ``cid`` may send its customers to: the other open ones."""
    return [c["id"] for c in status.get("counters", ())
            if c["id"] != cid and c["status"] == "open"]


def transfer_targets(status: Mapping[str, Any], cid: int) -> list[tuple[str, Any, Bilingual]]:
    """Where ``cid``'s current ticket may go: ``("service", prefix, words)`` for each
    service and ``("counter", id, words)`` for each other open counter."""
    out: list[tuple[str, Any, Bilingual]] = [
        ("service", s["prefix"], text("staff_transfer_service", service_zh=s["name_zh"],
                                      service_en=s["name_en"]))
        for s in status.get("services", ())]
    out += [("counter", i, text("staff_target_counter", counter=i))
            for i in redirect_choices(status, cid)]
    return out


def stranded_if_closed(status: Mapping[str, Any], cid: int) -> list[Mapping[str, Any]]:
    """Services that would have no open counter left once ``cid`` closes."""
    return [s for s in status.get("services", ())
            if tuple(s.get("open_counters", ())) == (cid,)]


def confirm_close(status: Mapping[str, Any], cid: int) -> Bilingual:
    words = text("staff_confirm_close", counter=cid)
    if left := stranded_if_closed(status, cid):
        words = words + Bilingual("\n", "\n") + text(
            "staff_confirm_close_stranded",
            services_zh="、".join(s["name_zh"] for s in left),
            services_en=", ".join(s["name_en"] for s in left))
    return words


def confirm_reinstate(ticket: str) -> Bilingual:
    return text("staff_confirm_reinstate", ticket=ticket)


def confirm_transfer(cid: int, ticket: str, target: Bilingual) -> Bilingual:
    return text("staff_confirm_transfer", counter=cid, ticket=ticket, target_zh=target.zh,
                target_en=target.en)


@dataclass(frozen=True, slots=True)
class QueueLine:
    prefix: str
    head: Bilingual  # 理赔：等候 3 人，约 15 分钟
    next: Bilingual  # 下一位：B004 B005 / 暂无等候


def queue_lines(status: Mapping[str, Any]) -> list[QueueLine]:
    out = []
    for s in status.get("services", ()):
        head = text("staff_queue_service", service_zh=s["name_zh"], service_en=s["name_en"],
                    waiting=s["waiting"], minutes=s.get("wait_minutes", 0))
        nxt = (text("staff_queue_next", tickets=" ".join(s["next_tickets"]))
               if s.get("next_tickets") else text("staff_queue_empty"))
        out.append(QueueLine(s["prefix"], head, nxt))
    return out


class NoShows:
    """Tickets marked missed today and not yet reinstated or called again, oldest first;
    built from today's events (``events`` command) and kept up by the watch stream."""

    def __init__(self) -> None:
        self.tickets: list[str] = []
        self.day: str | None = None

    def load(self, events: Iterable[Mapping[str, Any]]) -> None:
        self.tickets = []
        for e in events:
            self.on_event(e)

    def on_event(self, e: Mapping[str, Any]) -> bool:
        kind, ticket = e.get("type"), e.get("ticket")
        if kind == ev.DAY_STARTED or (e.get("day") and e.get("day") != self.day):
            self.tickets, self.day = [], e.get("day")
        if kind == ev.NO_SHOW and ticket and ticket not in self.tickets:
            self.tickets.append(ticket)
            return True
        if kind in (ev.REINSTATED, ev.CALLED) and ticket in self.tickets:
            self.tickets.remove(ticket)
            return True
        return kind == ev.DAY_STARTED

    def words(self) -> Bilingual:
        if not self.tickets:
            return text("staff_no_shows_none")
        return text("staff_no_shows", tickets=" ".join(self.tickets))


@dataclass(frozen=True, slots=True)
class DeviceLine:
    name: Bilingual
    state: Bilingual
    detail: str  # the driver's own words, for the technician
    tone: str  # ok / warn / fault / off


def _device_name(name: str) -> Bilingual:
    kind, _, rest = name.replace(":", "-").partition("-")
    key = DEVICE_KINDS.get(kind)
    if key is None:
        return Bilingual(name, name)
    words = text(key)
    return words + Bilingual(f" {rest}", f" {rest}") if rest else words


def device_lines(status: Mapping[str, Any]) -> list[DeviceLine]:
    out = []
    for name, d in sorted(status.get("devices", {}).items()):
        st = d.get("status", "")
        key = DEVICE_STATES.get(st)
        state = text(key) if key else Bilingual(st, st)
        out.append(DeviceLine(_device_name(name), state, d.get("detail", ""),
                              DEVICE_TONES.get(st, "fault")))
    outbox = status.get("outbox")
    if isinstance(outbox, Mapping) and "backlog" in outbox:
        n = outbox["backlog"]
        out.append(DeviceLine(text("staff_device_outbox"), Bilingual(str(n), str(n)), "",
                              "fault" if outbox.get("alarm") else "warn" if n else "ok"))
    return out


def priority_label(code: str) -> Bilingual:
    key = PRIORITY_LABELS.get(code)
    return text(key) if key else Bilingual(code, code)


def pause_reason_label(code: str) -> Bilingual:
    return text(PAUSE_REASONS[code])


def reply_words(cmd: str, args: Mapping[str, Any], reply: Mapping[str, Any]) -> Bilingual:
    """What to tell staff after a command: the service's own courteous refusal, or what
    was done."""
    if not reply.get("ok"):
        zh, en = reply.get("message_zh"), reply.get("message_en")
        if zh and en:
            return Bilingual(zh, en)
        return text("staff_offline")
    evts = reply.get("events") or []
    ticket = next((e.get("ticket") for e in evts if e.get("ticket")), None)
    if cmd == "reprint" and ticket:
        return text("staff_reprinted", ticket=ticket)
    if cmd == "issue" and ticket:
        reason = priority_label(str(args.get("priority", "")))
        zh_side = text("staff_priority_issued", ticket=ticket, reason=reason.zh)
        en_side = text("staff_priority_issued", ticket=ticket, reason=reason.en)
        return Bilingual(zh_side.zh, en_side.en)
    return text("staff_done")
