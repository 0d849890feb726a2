"""Byte channels to a printer that can answer: serial, TCP and USB.

python-escpos's backends only move bytes, and their ``_read()`` does not fit a status
byte: ``Serial._read()`` is ``device.read(16)``, which pyserial returns only after 16
bytes or the timeout, while a printer answers each ``DLE EOT n`` with ONE byte (Epson
ESC/POS command reference, DLE EOT: "each status equals 1 byte"). So the status
exchange goes through these channels, opened on the device python-escpos already holds.

A backend with no channel (``File``, i.e. ``/dev/usb/lp0``, which is write only) is
never sent a status query at all.

Every channel can also :meth:`~Channel.discard` input that nobody asked for: Epson's
reference says the printer answers ``DLE EOT n`` wherever that sequence appears in the
stream, even inside raster data, so unasked status bytes can be waiting.
"""

from __future__ import annotations

import socket
from typing import Any, Protocol


class Channel(Protocol):
    def write(self, data: bytes) -> None:
        """Send ``data`` whole; returns once the OS has taken it (serial: transmitted)."""

    def discard(self) -> None:
        """Drop every byte received so far without waiting for more."""

    def read_byte(self, timeout: float) -> int | None:
        """The next byte received, or ``None`` if none arrives within ``timeout`` s."""


class SerialChannel:
    """A pyserial port (``escpos.printer.Serial().device``)."""

    def __init__(self, device: Any, write_timeout: float) -> None:
        self.device = device
        self.write_timeout = write_timeout
        # python-escpos opens with no write timeout: a printer that holds off flow
        # control (or drops DSR) would block a write forever
        device.write_timeout = write_timeout

    def write(self, data: bytes) -> None:
        # pyserial's write timeout bounds the whole write, so give a job its wire time
        # too: ~100 KB of raster takes ~9 s at 115200 baud (10 bits a byte)
        self.device.write_timeout = self.write_timeout + len(data) * 10 / self.device.baudrate
        self.device.write(data)
        # wait until it is on the wire, so the printer's answers to anything in ``data``
        # are already on their way when the caller starts listening
        self.device.flush()

    def discard(self) -> None:
        self.device.reset_input_buffer()

    def read_byte(self, timeout: float) -> int | None:
        self.device.timeout = timeout
        got = self.device.read(1)  # returns after ONE byte, not after 16 or the timeout
        return got[0] if got else None


class SocketChannel:
    """A TCP connection (``escpos.printer.Network().device``), port 9100 style."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        # a 3-byte query right after a job would otherwise wait for the job's ACK
        # (Nagle), and the printer may delay that ACK: ~40 ms per query on Linux
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)  # bounded by the socket timeout python-escpos set

    def discard(self) -> None:
        # non-blocking for the drain: with a timeout set, Python's recv first waits
        # for data (up to the timeout) even when passed MSG_DONTWAIT
        before = self.sock.gettimeout()
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    got = self.sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    return
                if not got:
                    raise ConnectionError("the printer closed the connection")
        finally:
            self.sock.settimeout(before)

    def read_byte(self, timeout: float) -> int | None:
        before = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            got = self.sock.recv(1)
        except TimeoutError:
            return None
        finally:
            self.sock.settimeout(before)
        if not got:
            raise ConnectionError("the printer closed the connection")
        return got[0]


class UsbChannel:
    """A pyusb device (``escpos.printer.Usb``); reads come in whole USB packets."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer

    def write(self, data: bytes) -> None:
        self.printer._raw(data)  # the out endpoint, with python-escpos's USB timeout

    def _read(self, timeout: float) -> bytes:
        import usb.core  # only here: pyusb is needed for usb:// alone

        try:
            return bytes(self.printer.device.read(self.printer.in_ep, 64,
                                                  max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""

    def discard(self) -> None:
        for _ in range(64):  # a bounded number of packets; each waits 1 ms at most
            if not self._read(0.001):
                return

    def read_byte(self, timeout: float) -> int | None:
        got = self._read(timeout)
        # one packet can carry older bytes before the answer (automatic status back)
        return got[-1] if got else None

