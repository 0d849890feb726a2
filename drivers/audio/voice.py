"""The voice: announces calls and recalls, one after another, never cut off.

``handle`` only queues; a player thread assembles each announcement from the clip pack
and plays it to the end before taking the next, so two quick calls are heard in order.
If calls pile up faster than they can be spoken, the oldest *unstarted* one is dropped
(the display still shows it) rather than letting the hall fall minutes behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from drivers.audio.pack import ClipPack
from drivers.audio.sinks import Sink
from drivers.audio.spec import AudioSpec
from kiosk import events as ev
from kiosk import messages
from kiosk.commands import ReportDevice
from kiosk.events import Event
from kiosk.ports import Submit
from kiosk.status import Status

log = logging.getLogger(__name__)
Announcement = tuple[str, int, str]  # ticket, counter, event type


def in_quiet(intervals: tuple[tuple[dtime, dtime | None], ...], now: datetime) -> bool:
    t = now.time()
    return any(start <= t and (end is None or t < end) for start, end in intervals)


class Voice:
    name = "voice"

    def __init__(self, spec: AudioSpec, pack: ClipPack, sink: Sink, submit: Submit,
                 tz: ZoneInfo, now: Callable[[], datetime] | None = None) -> None:
        self.spec, self.pack, self.sink, self.submit = spec, pack, sink, submit
        self.now = now or (lambda: datetime.now(tz))
        self._quiet_pack: ClipPack | None = None
        self.on_start: Callable[[Announcement], None] | None = None  # bench/test hooks
        self.on_done: Callable[[Announcement], None] | None = None
        self._pending: deque[Announcement] = deque()
        self._cond = threading.Condition()
        self._stop = False
        self._reported: str | None = None
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    # --- Subscriber -------------------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        if event.type not in (ev.CALLED, ev.RECALLED) or not event.ticket \
                or event.counter is None:
            return
        with self._cond:
            if len(self._pending) >= self.spec.max_queue:
                dropped = self._pending.popleft()
                log.warning("voice is %d calls behind; not announcing %s", self.spec.max_queue,
                            dropped[0])
            self._pending.append((event.ticket, event.counter, event.type))
            self._cond.notify()

    def close(self) -> None:
        """Let the announcement in progress finish (never cut off), drop the rest."""
        with self._cond:
            self._stop = True
            self._pending.clear()
            self._cond.notify()
        self._thread.join(30)

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or playing (tests and bench)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # --- player -----------------------------------------------------------------------

    _busy = False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                item = self._pending.popleft()
                self._busy = True
            try:
                self._play(item)
            except Exception:  # the player thread must outlive any one announcement
                log.exception("voice failed on %s", item[0])
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _pack_now(self) -> ClipPack | None:
        if not in_quiet(self.spec.quiet_hours, self.now()):
            return self.pack
        if self.spec.quiet_volume == 0:
            return None
        if self._quiet_pack is None:  # relative to the normal volume already applied
            rel = round(100 * self.spec.quiet_volume / max(self.spec.volume, 1))
            self._quiet_pack = self.pack.at_volume(min(rel, 100))
        return self._quiet_pack

    def _play(self, item: Announcement) -> None:
        ticket, counter, _kind = item
        pack = self._pack_now()
        if pack is None:
            log.info("quiet hours: %s to counter %s shown, not announced", ticket, counter)
            return
        phrase = pack.tokens(messages.zh("voice_call", ticket=ticket, counter=counter))
        wav = pack.wav(phrase, self.spec.repeat, self.spec.chime)
        if self.on_start is not None:
            self.on_start(item)
        try:
            self.sink.play(wav, f"{ticket}-c{counter}")
        except Exception as exc:
            log.error("voice: %s", exc)
            self._report("error", str(exc))
            return
        self._report("ok", "")
        if self.on_done is not None:
            self.on_done(item)

    def _report(self, status: str, detail: str) -> None:
        if self._reported == status:
            return
        self._reported = status
        try:
            self.submit(ReportDevice("voice", status, detail[:200]), "voice")
        except Exception:
            log.exception("voice: could not report %s", status)
