"""Where jobs go: python-escpos's own printer classes, plus a PNG preview.

One small interface, :class:`Backend`: open a :class:`Session`, ask its status, send a
job, close. The escpos backends only move bytes (``_raw``/``_read``) and are opened per
ticket, so a printer that was unplugged or power-cycled is found again on the next ticket
without a restart.

Timeouts are set on every link that has one: ``Network`` defaults to 60 s (we pass the
I/O timeout; it bounds connect and each ``sendall``) and ``Serial`` has no write timeout
(a printer that drops DSR would block a write forever; :class:`SerialChannel` sets one).
``File`` (``/dev/usb/lp0``) cannot time out at all; the caller bounds every session with
a deadline thread for that reason. Status goes through :mod:`.channels`, never through
python-escpos's ``query_status``; see :mod:`.status`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from drivers.printer import status
from drivers.printer.channels import Channel, SerialChannel, SocketChannel, UsbChannel
from drivers.printer.job import Job
from drivers.printer.settings import PrinterSettings

log = logging.getLogger(__name__)
PREVIEW_KEEP = 500  # PNGs kept in a preview directory; older ones are removed


class Session(Protocol):
    def status(self) -> status.Reading | None:
        """The printer's real-time status, or ``None`` if this backend cannot tell."""

    def send(self, job: Job) -> None:
        """Send one whole job. Raises ``OSError`` (or a python-escpos error) on failure."""


class Backend(Protocol):
    url: str
    wants_image: bool  # jobs must carry the drawn image (the preview)

    def session(self) -> contextlib.AbstractContextManager[Session]: ...


class EscposSession:
    """A python-escpos printer, with a :class:`Channel` when the link can answer."""

    def __init__(self, printer: Any, channel: Channel | None, reply_s: float) -> None:
        self.printer = printer
        self.channel = channel
        self.reply_s = reply_s

    def status(self) -> status.Reading | None:
        if self.channel is None:  # write only: send nothing it cannot answer
            return None
        return status.query(self.channel, self.reply_s)

    def send(self, job: Job) -> None:
        if self.channel is None:
            self.printer._raw(job.data)
            return
        self.channel.write(job.data)
        # the printer answers DLE EOT sequences that happen to be in the raster data;
        # take those answers off the line now, before the next query listens
        status.absorb(self.channel, status.embedded_queries(job.data), self.reply_s)


class EscposBackend:
    """A python-escpos printer class, built fresh for each session by ``factory``.

    ``channel`` makes the status channel on the opened printer; ``None`` for a link
    that cannot answer (``File``), which then gets no status query at all.
    """

    wants_image = False

    def __init__(self, url: str, factory: Callable[[], Any],
                 channel: Callable[[Any], Channel] | None = None,
                 reply_s: float = status.REPLY_S, bytes_per_s: float | None = None) -> None:
        self.url = url
        self.factory = factory
        self.channel = channel
        self.reply_s = reply_s
        self.bytes_per_s = bytes_per_s  # a serial line's speed; None: fast enough

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        printer = self.factory()
        try:
            printer.open()  # raises DeviceNotFoundError when unplugged or unreachable
            channel = self.channel(printer) if self.channel is not None else None
            yield EscposSession(printer, channel, self.reply_s)
        finally:
            with contextlib.suppress(Exception):  # closing a dead link must not mask why
                printer.close()


class DummySession:
    def __init__(self, printer: Any) -> None:
        self.printer = printer

    def status(self) -> status.Reading | None:
        return None  # a Dummy has no paper sensor; see FIELD-NOTES on Dummy._read

    def send(self, job: Job) -> None:
        self.printer.clear()  # keep only the last job: a kiosk runs for days
        self.printer._raw(job.data)


class DummyBackend:
    """``dummy://``: python-escpos's ``Dummy``; :attr:`output` is the last job's bytes."""

    url = "dummy://"
    wants_image = False

    def __init__(self) -> None:
        self.printer: Any = None  # made on first use: importing python-escpos takes ~0.4 s

    @property
    def output(self) -> bytes:
        return bytes(self.printer.output) if self.printer is not None else b""

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        if self.printer is None:
            from escpos.printer import Dummy

            self.printer = Dummy()
        yield DummySession(self.printer)


class PreviewSession:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def status(self) -> status.Reading | None:
        if not os.access(self.directory, os.W_OK):
            return status.Reading("offline", f"cannot write to {self.directory}")
        return status.Reading("ok")

    def send(self, job: Job) -> None:
        if job.image is None:
            raise ValueError("preview job has no image")
        # write then rename: the on-screen preview may be reading latest.png right now
        for dest in (self.directory / f"{job.ticket}-{time.time_ns()}.png",
                     self.directory / "latest.png"):
            with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp",
                                             delete=False) as tmp:
                job.image.save(tmp, "PNG")
            os.replace(tmp.name, dest)
        self._prune()

    def _prune(self) -> None:
        pngs = sorted(self.directory.glob("*-*.png"), key=lambda p: p.name.split("-")[-1])
        for old in pngs[:-PREVIEW_KEEP]:
            old.unlink(missing_ok=True)


class PreviewBackend:
    """``preview://DIR``: each ticket becomes ``DIR/<ticket>-<n>.png`` and ``latest.png``."""

    wants_image = True

    def __init__(self, directory: Path) -> None:
        self.url = f"preview://{directory}"
        self.directory = directory

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        self.directory.mkdir(parents=True, exist_ok=True)
        yield PreviewSession(self.directory)


def open_backend(settings: PrinterSettings) -> Backend:
    """The backend for ``settings.url``. Nothing is opened until the first session.

    python-escpos is imported inside the factories, i.e. on the printer's own thread at
    its first session: the import costs ~0.4 s (its printer database) and must not delay
    the kiosk becoming ready after a power cut.
    """
    ep, t = settings.endpoint, settings.io_timeout_s
    reply = min(status.REPLY_S, t)
    profile = settings.profile
    opts = ep.options
    if ep.scheme == "preview":
        return PreviewBackend(Path(ep.target))
    if ep.scheme == "dummy":
        return DummyBackend()
    if ep.scheme == "tcp":
        def network() -> Any:
            from escpos.printer import Network

            return Network(ep.target, ep.port, timeout=t, profile=profile)

        return EscposBackend(settings.url, network, lambda p: SocketChannel(p.device), reply)
    if ep.scheme == "serial":
        kw = {k: v for k, v in opts.items() if k != "timeout"}

        def serial() -> Any:
            from escpos.printer import Serial

            return Serial(ep.target, timeout=t, profile=profile, **kw)

        baud = int(opts.get("baudrate", 9600))  # python-escpos's default
        return EscposBackend(settings.url, serial, lambda p: SerialChannel(p.device, t), reply,
                             bytes_per_s=baud / 10)  # 8N1: ten bits on the wire a byte
    if ep.scheme == "file":
        def file() -> Any:
            from escpos.printer import File

            return File(ep.target, profile=profile)

        return EscposBackend(settings.url, file)

    def usb() -> Any:
        from escpos.printer import Usb

        return Usb(ep.vendor, ep.product, timeout=int(t * 1000), in_ep=opts.get("in_ep", 0x82),
                   out_ep=opts.get("out_ep", 0x01), profile=profile)

    return EscposBackend(settings.url, usb, UsbChannel, reply)
