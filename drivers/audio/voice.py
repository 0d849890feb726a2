"""The voice: announces calls and recalls, one after another, never cut off.

``handle`` plays each announcement to the end before it returns, on the voice's own
fan-out thread, so two quick calls are heard in order and the fan-out queue is the only
queue in front of the voice. A call that waited longer than ``max_late_s`` in that queue
(:func:`kiosk.fanout.waited`, a monotonic measure) is skipped rather than letting the
hall fall minutes behind: the display still shows it, and the clerk can recall.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from drivers.audio.pack import ClipPack
from drivers.audio.sinks import Sink
from drivers.audio.spec import AudioSpec
from kiosk import events as ev
from kiosk import messages
from kiosk.events import Event
from kiosk.fanout import waited
from kiosk.health import HealthReporter
from kiosk.ports import Submit
from kiosk.status import Status

log = logging.getLogger(__name__)
Announcement = tuple[str, int, str]  # ticket, counter, event type
# A call heard more than a minute late sends someone to a counter that has likely
# recalled or moved on; the old queue of 20 pending calls was about two minutes of speech.
MAX_LATE_S = 60.0


def in_quiet(intervals: tuple[tuple[dtime, dtime | None], ...], now: datetime) -> bool:
    t = now.time()
    return any(start <= t and (end is None or t < end) for start, end in intervals)


class Voice:
    name = "voice"

    def __init__(self, spec: AudioSpec, pack: ClipPack, sink: Sink, submit: Submit,
                 tz: ZoneInfo, now: Callable[[], datetime] | None = None, *,
                 max_late_s: float = MAX_LATE_S) -> None:
        self.spec, self.pack, self.sink, self.submit = spec, pack, sink, submit
        self.now = now or (lambda: datetime.now(tz))
        self.max_late_s = max_late_s
        self.health = HealthReporter(self.name, submit, "voice")
        self._quiet_pack: ClipPack | None = None
        self.on_start: Callable[[Announcement], None] | None = None  # bench/test hooks
        self.on_done: Callable[[Announcement], None] | None = None
        self._playing = threading.Condition()  # held while an announcement plays
        self._busy = False
        self._closing = False

    # --- Subscriber -------------------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        if event.type not in (ev.CALLED, ev.RECALLED) or not event.ticket \
                or event.counter is None or self._closing:
            return
        late = waited()
        if late > self.max_late_s:
            log.warning("voice is %.0f s behind; not announcing %s to counter %s (shown on "
                        "the display)", late, event.ticket, event.counter)
            return
        item = (event.ticket, event.counter, event.type)
        with self._playing:
            self._busy = True
        try:
            self._play(item)
        except Exception:  # the fan-out thread must outlive any one announcement
            log.exception("voice failed on %s", item[0])
        finally:
            with self._playing:
                self._busy = False
                self._playing.notify_all()

    def close(self) -> None:
        """Let the announcement in progress finish (never cut off); announce no more."""
        self._closing = True
        self.idle(30)

    def idle(self, timeout: float = 30.0) -> bool:
        """Wait until no announcement is playing (tests and bench)."""
        deadline = time.monotonic() + timeout
        with self._playing:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._playing.wait(left)
        return True

    # --- player -----------------------------------------------------------------------

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
            self.health.report("error", str(exc))
            return
        self.health.report("ok")
        if self.on_done is not None:
            self.on_done(item)
