"""What the hall board says, worked out from the status and the events alone (no Kivy).

* :func:`counter_rows`: one row per counter: its name, what it serves, its state in
  words and the tone to draw it in (amber for paused, grey for closed);
* :class:`CallBoard`: the latest calls, newest first, fed with the watch stream's
  ``called``/``recalled`` events (a recall is a call again) and seeded from the status's
  counters on (re)connect; the newest call is highlighted for :data:`HIGHLIGHT_S`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk import events as ev
from kiosk.messages import Bilingual, text

HIGHLIGHT_S = 6.0  # a new call is highlighted (and blinks) this long
KEEP = 5  # the latest call and the four before it

# tones: how a row is drawn
NORMAL, SERVING, AMBER, GREY = "normal", "serving", "amber", "grey"


@dataclass(frozen=True, slots=True)
class CounterRow:
    id: int
    name: Bilingual  # 3号窗口 / Counter 3
    serves: Bilingual  # 业务办理 · 理赔 / Underwriting · Claims
    state: Bilingual  # 正在办理 A011 / 暂停服务 → 请到2号窗口 / 未开放
    tone: str


def _service_names(status: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    return {s["prefix"]: (s["name_zh"], s["name_en"]) for s in status.get("services", ())}


def serves(prefixes: list[str] | tuple[str, ...], status: Mapping[str, Any]) -> Bilingual:
    names = _service_names(status)
    pairs = [names.get(p, (p, p)) for p in prefixes]
    return Bilingual(" · ".join(z for z, _ in pairs), " · ".join(e for _, e in pairs))


def counter_state(c: Mapping[str, Any]) -> tuple[Bilingual, str]:
    """A counter's state in words, and its tone."""
    if c["status"] == "paused":
        if c.get("redirect"):
            return text("hall_paused_redirect", redirect=c["redirect"]), AMBER
        return text("hall_paused"), AMBER
    if c["status"] == "closed":
        return text("hall_closed"), GREY
    if c.get("current"):
        return text("hall_serving", ticket=c["current"]), SERVING
    return text("hall_open"), NORMAL


def counter_rows(status: Mapping[str, Any]) -> list[CounterRow]:
    rows = []
    for c in sorted(status.get("counters", ()), key=lambda c: c["id"]):
        state, tone = counter_state(c)
        rows.append(CounterRow(c["id"], text("hall_counter", counter=c["id"]),
                               serves(c.get("services", ()), status), state, tone))
    return rows


@dataclass(frozen=True, slots=True)
class Call:
    ticket: str
    counter: int
    at: float  # the board's clock (monotonic) when it arrived; None-like 0.0 when seeded
    recall: bool = False
    seeded: bool = False  # from the status on connect, not seen as it happened

    @property
    def words(self) -> Bilingual:
        """``A012 → 3号窗口``: the board's short form."""
        return text("hall_call", ticket=self.ticket, counter=self.counter)

    @property
    def sentence(self) -> Bilingual:
        """Where to go, under the big number: 请到 3 号窗口 / Number A012, please go..."""
        return text("hall_to_counter", ticket=self.ticket, counter=self.counter)


class CallBoard:
    """The latest calls, newest first, one entry per ticket."""

    def __init__(self, keep: int = KEEP, highlight_s: float = HIGHLIGHT_S) -> None:
        self.keep, self.highlight_s = keep, highlight_s
        self.calls: list[Call] = []
        self.day: str | None = None
        self._seq = 0  # the last event seq taken, so a repeat is not a new call

    def seed(self, status: Mapping[str, Any]) -> None:
        """Take the counters' current tickets from ``status`` (on connect or reconnect).

        Calls already on the board stay (a reconnect loses no history); a counter's
        current ticket not on it is added after them, not highlighted: the board did not
        see it happen. A new business day starts an empty board.
        """
        if status.get("day") != self.day:
            self.calls, self.day, self._seq = [], status.get("day"), 0
        shown = {c.ticket for c in self.calls}
        for c in sorted(status.get("counters", ()), key=lambda c: c["id"]):
            if c.get("current") and c["current"] not in shown:
                self.calls.append(Call(c["current"], c["id"], 0.0, seeded=True))
        del self.calls[self.keep:]

    def on_event(self, event: Mapping[str, Any], now: float) -> bool:
        """Take one watch-stream event; True if the board changed."""
        kind = event.get("type")
        if kind == ev.DAY_STARTED:
            self.calls, self.day, self._seq = [], event.get("day"), 0
            return True
        if kind not in (ev.CALLED, ev.RECALLED) or not event.get("ticket"):
            return False
        seq = event.get("seq")
        if isinstance(seq, int):
            if seq <= self._seq:
                return False
            self._seq = seq
        call = Call(event["ticket"], int(event["counter"]), now, recall=kind == ev.RECALLED)
        self.calls = [call, *(c for c in self.calls if c.ticket != call.ticket)][:self.keep]
        return True

    @property
    def latest(self) -> Call | None:
        return self.calls[0] if self.calls else None

    @property
    def previous(self) -> list[Call]:
        return self.calls[1:]

    def highlighted(self, now: float) -> bool:
        """True while the latest call is new enough to be highlighted."""
        c = self.latest
        return c is not None and not c.seeded and 0.0 <= now - c.at < self.highlight_s


def courtesy(zh: str | None, en: str | None) -> Bilingual:
    """The foot line: ``[ui] courtesy_zh/courtesy_en``, else the catalogue's wording."""
    if not zh and not en:
        return text("hall_courtesy")
    return Bilingual(zh or "", en or "")  # the branch's own words, never half of ours
