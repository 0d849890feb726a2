"""What a display should show, worked out from events and the status snapshot.

* :class:`CounterView` - a display above one counter. Its screen is a pure function of
  that counter's status, so a redraw after a replug is always right.
* :class:`HallView` - a hall display covering several counters: the latest calls that
  are still being served, newest first, or a pause notice with its redirect.

All wording comes from :mod:`kiosk.messages`.
"""

from __future__ import annotations

from drivers.display.protocols import Screen, fit
from drivers.display.spec import DisplaySpec
from kiosk import events as ev
from kiosk import messages
from kiosk.events import Event
from kiosk.status import CounterView as StatusCounter
from kiosk.status import Status

CALLS = (ev.CALLED, ev.RECALLED)
ENDS = (ev.FINISHED, ev.NO_SHOW, ev.TRANSFERRED)


class _Wording:
    def __init__(self, spec: DisplaySpec) -> None:
        self.spec = spec
        self.pick = messages.zh if spec.language == "zh" else messages.en

    def idle(self) -> str:
        return self.spec.idle_text if self.spec.idle_text is not None \
            else self.pick("display_idle")

    def call(self, ticket: str, counter: int, short: bool = False) -> str:
        """The long form when it fits on one line of this board, else the short form."""
        long = self.pick("display_call", ticket=ticket, counter=counter)
        if not short and self.fits(long):
            return long
        return self.pick("display_call_short", ticket=ticket, counter=counter)

    def fits(self, text: str) -> bool:
        return len(fit(text, 10_000, self.spec.encoding, False)) <= self.spec.columns

    def redirect(self, redirect: int | None) -> str:
        if redirect is None:
            return ""
        long = self.pick("display_redirect", redirect=redirect)
        return long if self.fits(long) else self.pick("display_redirect_short",
                                                      redirect=redirect)


def _superseded(event: Event, cv: StatusCounter) -> bool:
    """True for the end of a ticket whose counter already serves the next one.

    "Call next" commits finished + called together, and both arrive with the snapshot
    after both: the called event comes next and draws the new call (with its flash).
    Drawing it on the end as well would blink idle on a hall board and send every call
    twice down a 9600-baud line, so the screen stays as it is until then.
    """
    return event.type in ENDS and cv.current not in (None, event.ticket)


class CounterView:
    def __init__(self, spec: DisplaySpec) -> None:
        assert spec.counters is not None and len(spec.counters) == 1
        self.counter = spec.counters[0]
        self.words = _Wording(spec)
        self.last = self.initial()

    def initial(self) -> Screen:
        return Screen((self.words.idle(),))

    def update(self, event: Event, status: Status) -> Screen:
        self.last = self._update(event, status)
        return self.last

    def _update(self, event: Event, status: Status) -> Screen:
        w, cv = self.words, status.counter(self.counter)
        flash = event.type in CALLS and event.counter == self.counter
        if cv is None:
            return self.initial()
        if event.counter == self.counter and _superseded(event, cv):
            return Screen(self.last.lines)
        if cv.status == "paused":
            return Screen((w.pick("display_paused"), w.redirect(cv.redirect)))
        if cv.status == "closed":
            return Screen((w.pick("display_closed"),))
        if cv.current is not None:
            return Screen((w.call(cv.current, cv.id),), flash)
        return self.initial()


class HallView:
    def __init__(self, spec: DisplaySpec) -> None:
        self.covers = spec.counters  # None: all counters
        self.rows = spec.lines
        self.words = _Wording(spec)
        self.recent: list[tuple[str, int]] = []  # (ticket, counter), newest first
        self.notice: tuple[int, int | None] | None = None  # paused counter, redirect
        self.last = self.initial()

    def initial(self) -> Screen:
        return Screen((self.words.idle(),))

    def _covered(self, counter: int | None) -> bool:
        return counter is not None and (self.covers is None or counter in self.covers)

    def update(self, event: Event, status: Status) -> Screen:
        screen = self._update(event, status)
        self.last = screen
        return screen

    def _update(self, event: Event, status: Status) -> Screen:
        flash = False
        cv = status.counter(event.counter) if event.counter is not None else None
        if cv is not None and self._covered(event.counter) and _superseded(event, cv):
            return Screen(self.last.lines)
        if event.type == ev.DAY_STARTED:
            self.recent, self.notice = [], None
        elif event.type in CALLS and self._covered(event.counter) and event.ticket:
            older = [r for r in self.recent if r[0] != event.ticket][:7]
            self.recent = [(event.ticket, event.counter), *older]  # type: ignore[list-item]  # called events name both
            self.notice, flash = None, True
        elif event.type == ev.PAUSED and self._covered(event.counter):
            self.notice = (event.counter, event.data.get("redirect"))  # type: ignore[assignment]  # paused events name their counter
        elif event.type in (ev.RESUMED, ev.OPENED) and self.notice \
                and self.notice[0] == event.counter:
            self.notice = None
        w = self.words
        if self.notice is not None:
            counter, redirect = self.notice
            return Screen((w.pick("display_counter_paused", counter=counter),
                           w.redirect(redirect)))
        serving = [(t, c) for t, c in self.recent
                   if (cv := status.counter(c)) is not None and cv.current == t]
        if not serving:
            return self.initial()
        first = w.call(*serving[0])
        rest = [w.call(t, c, short=True) for t, c in serving[1:self.rows]]
        return Screen((first, *rest), flash)


def for_spec(spec: DisplaySpec) -> CounterView | HallView:
    return HallView(spec) if spec.is_hall else CounterView(spec)
