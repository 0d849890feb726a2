"""The printer as a kiosk subscriber: one ticket per ``issued`` event, one marked copy
per ``reprinted`` event, faults reported.

The ticket is already committed when :meth:`PrinterSubscriber.handle` sees it, so a
printer fault never loses a ticket: the subscriber reports it with
``ReportDevice("printer", status, "paper end", ticket="A012")``, the screen shows the
number (the event's ``ticket``) with the ``print_failed`` message, and IT gets the
``device_status`` event.

Timing rules, so a wedged printer can hold up nothing but itself:

* every session (open, status, send, status, close) runs on a short-lived I/O thread
  and is given ``timeout_s``; one that overruns is abandoned and the printer is
  reported offline. No new session starts while an abandoned one is still stuck;
* after a timeout, tickets fail at once instead of waiting again: the monitor thread
  probes the printer with backoff (``retry_initial_s`` doubling up to ``retry_max_s``)
  and clears the fault when the printer answers (paper loaded, cable plugged back in);
* a printer that answers quickly with a fault (no paper, cover open) is asked again
  before each ticket, since that costs milliseconds and prints as soon as it can.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from drivers.printer import ticket as tickets
from drivers.printer.backends import Backend, Session
from drivers.printer.job import Job, Renderer
from drivers.printer.settings import PrinterSettings
from drivers.printer.status import Reading
from kiosk.events import ISSUED, REPRINTED, Event
from kiosk.health import HealthReporter
from kiosk.ports import DriverContext, Submit
from kiosk.status import Status

log = logging.getLogger(__name__)
T = TypeVar("T")
WARM_AFTER_S = 1.0  # start the warm-up by then even if no event has come
WARM_NICE = 10  # the warm-up thread's nice value: behind the service's own threads
# a link that cannot answer status (file://, dummy://) gets no query; the core has no
# "unknown" status, so it reads "ok" while writes succeed, and says why
UNCHECKED = Reading("ok", "this link cannot report paper or cover; judged by the write")


class PrinterSubscriber:
    """Prints a ticket for every ``issued`` event; see the module docstring."""

    name = "printer"

    def __init__(self, config: DriverContext, submit: Submit, settings: PrinterSettings,
                 backend: Backend, renderer: Renderer | None = None) -> None:
        self.config = config
        self.settings = settings
        self.backend = backend
        self.renderer = renderer or Renderer(settings)
        self.health = HealthReporter(self.name, submit, "printer")
        self._io = threading.Lock()  # one session at a time
        self._timed_out = False
        self._stuck: threading.Thread | None = None
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="printer-monitor",
                                         daemon=True)
        self._monitor.start()
        self._running = threading.Event()  # the service has handed us its first event
        self.warmed = threading.Event()  # the warm-up is over (done, failed or skipped)
        self.warm_error: str | None = "not run"  # None once a warm-up has completed
        self._warmer = threading.Thread(target=self._warm_up, name="printer-warmup",
                                        daemon=True)
        self._warmer.start()

    # --- the Subscriber port ----------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        self._running.set()
        if event.type not in (ISSUED, REPRINTED):
            return
        try:
            if event.type == REPRINTED:
                # the copy shows when the ticket was first taken, not when it was reprinted
                original = event._replace(ts=str(event.data["issued_at"]))
                ticket = dataclasses.replace(
                    tickets.from_event(original, self.config, self.settings.qr), reprint=True)
            else:
                ticket = tickets.from_event(event, self.config, self.settings.qr)
            self._print(ticket)
        except Exception as exc:  # never raise into the fan-out thread
            log.exception("printing %s failed", event.ticket)
            self._report(Reading("error", f"{type(exc).__name__}: {exc}"), event.ticket)

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        self._running.set()
        self._monitor.join(self.settings.timeout_s + 1)
        self._warmer.join(self.settings.timeout_s + 1)

    # --- for the screen and tests -----------------------------------------------------

    @property
    def last_status(self) -> str | None:
        """The last status reported (``ok``, ``paper_out``...), ``None`` before the first."""
        return self.health.status

    # --- printing ---------------------------------------------------------------------

    def _print(self, ticket: tickets.Ticket) -> bool:
        if self._timed_out:
            self._wake.set()  # let the monitor look again soon; do not wait here
            self._report(Reading("offline", "printer is not answering"), ticket.number)
            return False
        job = self.renderer.render(ticket, with_image=self.backend.wants_image)
        try:
            # a slow serial line needs the job's wire time on top of timeout_s: an image
            # ticket (~100 KB) takes ~9 s at 115200 baud, ~50 s at 19200
            bps = getattr(self.backend, "bytes_per_s", None)  # serial backends only
            wire = len(job.data) / bps if bps else 0.0
            printed, reading = self._session(lambda s: self._send(s, job), wire)
        except Exception as exc:
            printed, reading = False, self._fault(exc)
        self._report(reading, None if printed else ticket.number)
        if printed:
            log.info("printed %s%s (%d bytes)", ticket.number,
                     " again" if ticket.reprint else "", len(job.data))
        return printed

    @staticmethod
    def _send(session: Session, job: Job) -> tuple[bool, Reading]:
        before = session.status()
        if before is not None and not before.printable:
            return False, before
        session.send(job)
        after = session.status()
        if after is not None and not after.printable:
            # it ran out or opened while printing: the ticket may be cut short
            return False, dataclasses.replace(after, detail=after.detail + ", ticket may be "
                                              "incomplete")
        return True, after or before or UNCHECKED

    def _fault(self, exc: Exception) -> Reading:
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError too
            self._timed_out = True
            return Reading("offline", f"no answer within {self.settings.timeout_s:g} s")
        if isinstance(exc, OSError) or type(exc).__name__ == "DeviceNotFoundError":
            return Reading("offline", f"{type(exc).__name__}: {exc}"[:160])
        log.error("printer %s: %s: %s", self.backend.url, type(exc).__name__, exc)
        return Reading("error", f"{type(exc).__name__}: {exc}"[:160])

    def _session(self, work: Callable[[Session], T], extra_s: float = 0.0) -> T:
        """Run ``work`` in a session on an I/O thread; give up ``timeout_s`` (plus
        ``extra_s``, a job's time on a slow wire) after the call.

        No new session starts while an abandoned one is still stuck: on a write-only
        ``/dev/usb/lp0`` its bytes and ours would interleave.
        """
        limit = self.settings.timeout_s + extra_s
        deadline = time.monotonic() + limit  # waiting for the lock counts too
        if not self._io.acquire(timeout=limit):
            raise TimeoutError("printer busy")
        try:
            if self._stuck is not None and self._stuck.is_alive():
                raise TimeoutError("an earlier session is still stuck")
            box: dict[str, Any] = {}

            def run() -> None:
                try:
                    with self.backend.session() as session:
                        box["value"] = work(session)
                except BaseException as exc:  # handed to the caller's thread
                    box["error"] = exc

            io = threading.Thread(target=run, name="printer-io", daemon=True)
            io.start()
            io.join(max(0.0, deadline - time.monotonic()))
            if io.is_alive():
                self._stuck = io
                raise TimeoutError(f"no answer within {limit:g} s")
            if "error" in box:
                raise box["error"]
            return box["value"]
        finally:
            self._io.release()

    # --- warm-up ----------------------------------------------------------------------

    def _warm_up(self) -> None:
        """Warm-up thread: the first ticket after boot costs what every other one does.

        Importing python-escpos, opening the faces and converting a branch's fixed lines
        take ~0.3-2 s the first time. That is done here, on a thread of its own at a
        lower CPU priority, once the service is running (its first event, which the
        monitor's first status report makes, or ``WARM_AFTER_S`` at the latest), so
        neither READY nor the command worker waits for it. A ticket that comes during
        the warm-up waits at most for one block of it (:meth:`Renderer.warm_up`).
        """
        try:
            with contextlib.suppress(OSError):  # Linux: a thread's nice value is its own
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_NICE)
            self._running.wait(WARM_AFTER_S)
            t0 = time.perf_counter()
            self.renderer.warm_up(tickets.samples(self.config, self.settings.qr),
                                  with_image=self.backend.wants_image,
                                  stop=self._closing.is_set)
            if self._closing.is_set():
                return
            self.warm_error = None
            log.info("printer path warmed up in %.0f ms", (time.perf_counter() - t0) * 1000)
        except Exception as exc:  # a real ticket will meet the same fault and report it
            self.warm_error = f"{type(exc).__name__}: {exc}"
            log.warning("printer warm-up failed: %s", self.warm_error)
        finally:
            self.warmed.set()

    # --- status -----------------------------------------------------------------------

    def _report(self, reading: Reading, unprinted: str | None = None) -> None:
        """Submit a status change, and every ticket that did not print (in ``ticket``)."""
        if reading.printable:
            self._timed_out = False
        else:
            self._wake.set()  # start the monitor's retries
        self.health.report(reading.status, reading.detail, ticket=unprinted)

    def _probe(self) -> Reading:
        try:
            reading = self._session(lambda s: s.status()) or UNCHECKED
        except Exception as exc:
            reading = self._fault(exc)
        self._report(reading)
        return reading

    def _watch(self) -> None:
        """Monitor thread: an initial probe, then retries with backoff while faulty."""
        try:
            if self.backend.wants_image or self.settings.chinese_mode == "image":
                _ = self.renderer.fonts  # find the font now, not on the first customer
        except Exception as exc:
            self._report(Reading("error", str(exc)))
            return
        reading = self._probe()
        delay = self.settings.retry_initial_s
        while not self._closing.is_set():
            if reading.printable:
                self._wake.wait()  # a failed ticket or close() wakes us
                self._wake.clear()
                delay = self.settings.retry_initial_s
                if self._closing.is_set():
                    return
                if self.health.status in ("ok", "paper_low"):
                    continue
            else:
                self._wake.wait(delay)  # a new ticket also wakes us: look again now
                self._wake.clear()
                if self._closing.is_set():
                    return
                delay = min(delay * 2, self.settings.retry_max_s)
            reading = self._probe()
