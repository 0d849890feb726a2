"""Printer stand-ins for tests: printers that answer as Epson's ESC/POS reference says.

:class:`ManualPrinter` is the printer's side of the byte stream, following the Epson
ESC/POS command reference:

* ``DLE EOT n`` (``10 04 n``, n = 1..4) is a real-time command: it is answered with ONE
  status byte wherever the sequence appears, even inside bit-image data;
* ``DLE DC4 1 m t`` (``10 14 01 m t``) is a real-time drawer pulse, likewise acted on
  anywhere, unless ``GS ( D`` (``1D 28 44 pL pH 14 [a b]...``, a=1, b=0/48) disabled it;
* ``ESC @`` restores the defaults, so pulses are enabled again.

Non-real-time commands are recognised only outside ``GS v 0`` raster data, whose
payload is skipped. Answers go out in the order the queries were received, ``gap``
seconds apart, as a printer that handles one real-time command at a time.

Two transports carry it: :class:`FakeNetworkPrinter` (a 9100-style TCP listener on
loopback) and :class:`FakeSerialPrinter` (a pty pair; the kiosk opens the slave end).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import select
import socket
import threading
import time
import tty
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PIL import Image

import drivers.printer as printer
from drivers.printer import PrinterSubscriber
from drivers.printer.job import Renderer
from drivers.printer.raster import FontFor
from drivers.printer.settings import PrinterSettings
from drivers.printer.ticket import Block, Line
from kiosk.clock import FakeClock
from kiosk.commands import Command, Issue, ReportDevice
from kiosk.events import Event
from kiosk.service import Accepted, KioskService
from kiosk.store import Store
from tests.support import driver_parts, make_config

# DLE EOT replies for n = 1..4 (bit 1 and bit 4 always set)
REPLIES: dict[str, dict[int, int]] = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    # many printers answer "ok" to n=1 with 0x16: bit 2 is the drawer kick-out pin
    "ok_drawer_high": {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
}
MODES = (*REPLIES, "drop", "hang")
_RT = re.compile(rb"\x10\x04[\x01-\x04]|\x10\x14\x01..", re.S)
_QUERIES_AT_ENDS = re.compile(rb"^(?:\x10\x04[\x01-\x04])+|(?:\x10\x04[\x01-\x04])+$")


def row_image(data: bytes) -> Image.Image:
    """A one-dot-high image whose GS v 0 raster row is exactly ``data`` (1 = black dot)."""
    img = Image.new("1", (8 * len(data), 1), 1)
    for i, byte in enumerate(data):
        for bit in range(8):
            if byte & 0x80 >> bit:
                img.putpixel((8 * i + bit, 0), 0)
    return img


class RasterCarrying(Renderer):
    """Renders real tickets whose number block's raster also carries ``data``, as any
    drawn image can by chance (python-escpos's own ``image()`` makes the raster)."""

    def __init__(self, settings: PrinterSettings, data: bytes) -> None:
        super().__init__(settings)
        self.data = data

    def _raster(self, block: Block, scratch: FontFor) -> bytes:
        out = super()._raster(block, scratch)
        # the queue line: drawn (it is Chinese) on every ticket, once per ticket
        if isinstance(block, Line) and block.varies and block.size == "m" and \
                "前" in block.text:
            p = self._dummy()
            p.image(row_image(self.data), impl="bitImageRaster")
            out += bytes(p.output)
        return out


def job_of(stream: bytes) -> bytes:
    """A connection's bytes without the status queries sent before and after the job."""
    return _QUERIES_AT_ENDS.sub(b"", stream)


class ManualPrinter:
    """The ESC/POS stream as the printer sees it; :meth:`feed` returns what to answer."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.received = bytearray()
        self.answered: list[int] = []  # every status byte sent, asked for or not
        self.pulses = 0  # drawer pulses executed (DLE DC4 fn=1)
        self.pulse_enabled = True
        self._rt = 0  # real-time scan position
        self._cmd = 0  # command parser position (may run ahead into raster data)

    def feed(self, data: bytes) -> bytes:
        self.received += data
        buf = bytes(self.received)
        out = bytearray()
        for m in _RT.finditer(buf, self._rt):
            self._commands(buf, m.start())  # commands before it take effect first
            if m[0][1] == 0x04:
                out.append(REPLIES[self.mode][m[0][2]])
            elif self.pulse_enabled:
                self.pulses += 1
            self._rt = m.end()
        # a sequence may be split across reads: rescan the last bytes next time
        self._rt = max(self._rt, len(buf) - 4)
        self._commands(buf, len(buf))
        self.answered += out
        return bytes(out)

    def _commands(self, buf: bytes, upto: int) -> None:
        while self._cmd < upto:
            i = self._cmd
            head = buf[i:i + 8]
            if head[:2] == b"\x1b@":
                self.pulse_enabled = True
                self._cmd += 2
            elif head[:3] == b"\x1d(D":
                if len(buf) < i + 5:
                    return
                end = i + 5 + buf[i + 3] + 256 * buf[i + 4]
                if len(buf) < end:
                    return
                params = buf[i + 5:end]
                if params[:1] == b"\x14":
                    for a, b in zip(params[1::2], params[2::2], strict=False):
                        if a == 1:
                            self.pulse_enabled = b in (1, 49)
                self._cmd = end
            elif head[:3] == b"\x1dv0":
                if len(head) < 8:
                    return
                self._cmd += 8 + (head[4] + 256 * head[5]) * (head[6] + 256 * head[7])
            elif head[:2] in (b"\x10\x04", b"\x10\x14"):
                if len(head) < 3:
                    return
                self._cmd += 3 if head[1] == 0x04 else 5
            else:
                self._cmd += 1


class _Answers:
    """Sends answers in order, ``gap`` seconds apart, on its own thread."""

    def __init__(self, send: Any, gap: float) -> None:
        self._send = send
        self._gap = gap
        self._q: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def put(self, data: bytes) -> None:
        for b in data:
            self._q.put(b)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(2)

    def _run(self) -> None:
        while (b := self._q.get()) is not None:
            if self._gap:
                time.sleep(self._gap)
            with contextlib.suppress(OSError):
                self._send(bytes([b]))


class FakeNetworkPrinter:
    """A 9100-style printer on loopback. ``mode``: a status name, "drop" or "hang"."""

    def __init__(self, mode: str = "ok", gap: float = 0.0) -> None:
        self.mode = mode
        self.gap = gap
        self.streams: list[bytes] = []  # everything each connection sent
        self._jobs: list[bytes] = []  # the same without the status queries at its ends
        self.printers: list[ManualPrinter] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def jobs(self) -> list[bytes]:
        """One entry per connection that sent job data, queries before and after removed."""
        with self._lock:  # worked out once per connection: polling this must stay cheap
            return [j for j in self._jobs if j]

    @property
    def queries(self) -> int:
        with self._lock:
            return sum(len(p.answered) for p in self.printers)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for t in self._threads:
            t.join(2)
        self._server.close()
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            mode = self.mode
            if mode == "drop":
                conn.close()
            elif mode == "hang":
                self._held.append(conn)  # accept, never read, never answer
            else:
                t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads.append(t)
                t.start()

    def _serve(self, conn: socket.socket) -> None:
        printer = ManualPrinter(self.mode)
        with self._lock:
            self.printers.append(printer)
        answers = _Answers(conn.sendall, self.gap)
        conn.settimeout(0.1)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if self.mode not in REPLIES:  # switched to drop/hang mid-connection
                    break
                printer.mode = self.mode
                answers.put(printer.feed(chunk))
            answers.close()
        stream = bytes(printer.received)
        job = job_of(stream)
        with self._lock:
            self.streams.append(stream)
            self._jobs.append(job)


class FakeSerialPrinter:
    """A serial printer on a pty pair: the kiosk opens :attr:`device` with pyserial.

    The fake holds both ends for its whole life, so the device stays the same while the
    kiosk opens and closes it per ticket, as a real ``/dev/ttyS0`` would.
    """

    def __init__(self, mode: str = "ok", gap: float = 0.0) -> None:
        self.printer = ManualPrinter(mode)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)  # no echo even before pyserial configures it
        self.device = os.ttyname(self._slave)
        self._answers = _Answers(lambda b: os.write(self._master, b), gap)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def mode(self) -> str:
        return self.printer.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.printer.mode = value

    def url(self, **options: object) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"serial://{self.device}" + (f"?{query}" if query else "")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._answers.close()
        os.close(self._master)
        os.close(self._slave)

    @property
    def jobs(self) -> list[bytes]:
        """The job data received so far, status queries between jobs removed.

        Jobs are told apart by the ``ESC @`` each one starts with.
        """
        stream = bytes(self.printer.received)
        parts = [job_of(p) for p in re.split(rb"(?:\x10\x04[\x01-\x04])+(?=\x1b@)", stream)]
        return [p for p in parts if p]

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            self._answers.put(self.printer.feed(chunk))


@contextlib.contextmanager
def kiosk(tmp_path: Path, clock: FakeClock, url: str, **options: Any
          ) -> Iterator[tuple[KioskService, PrinterSubscriber]]:
    """A running kiosk service whose printer is at ``url``; stopped on exit."""
    cfg = make_config(tmp_path, printer={"url": url, "timeout_s": 2.0, "retry_initial_s": 0.02,
                                         "retry_max_s": 0.1, **options})
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    sub = driver_parts(printer, cfg, svc.submit, "printer").subscribers[0]
    svc.add_subscriber(sub)
    svc.start()
    try:
        yield svc, sub
    finally:
        svc.stop()
        svc.store.close()


def device_status(svc: KioskService) -> dict[str, str]:
    return svc.status.devices.get("printer", {})


def issue(svc: KioskService, service: str = "A") -> Event:
    """Issue a ticket; its committed ``issued`` event."""
    reply = svc.submit(Issue(service), "test").result(2)
    assert isinstance(reply, Accepted)
    return next(e for e in reply.events if e.type == "issued")


class Reports:
    """A ``submit`` that records ReportDevice commands and resolves at once."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self._lock = threading.Lock()

    def __call__(self, cmd: Command, source: str) -> Future[Any]:
        with self._lock:
            self.commands.append(cmd)
        fut: Future[Any] = Future()
        fut.set_result(None)
        return fut

    @property
    def statuses(self) -> list[str]:
        with self._lock:
            return [c.status for c in self.commands if isinstance(c, ReportDevice)]

    @property
    def details(self) -> list[str]:
        with self._lock:
            return [c.detail for c in self.commands if isinstance(c, ReportDevice)]


def issued(ticket: str = "B012", service: str = "B", ahead: int = 3, wait: int = 36,
           priority: str | None = None, ts: str = "2026-11-23T09:41:05+08:00",
           **extra: Any) -> Event:
    names = {"A": ("业务办理", "Underwriting"), "B": ("理赔", "Claims"),
             "C": ("咨询·投诉", "Enquiries & complaints")}[service]
    return Event("issued", ts, ts[:10], ticket=ticket, service=service, source="test",
                 data={"number": int(ticket[1:]), "priority": priority, "ahead": ahead,
                       "wait_minutes": wait, "service_zh": names[0], "service_en": names[1],
                       **extra}, seq=1)
