"""A serial port named by a pyserial URL that can vanish and come back.

USB serial adapters get a new ``/dev/ttyUSBn`` when replugged, so configure the stable
``/dev/serial/by-id/...`` link (a glob is accepted too). Every open resolves the name
again, and :meth:`SerialPort.present` notices when the node we opened is gone or the
link now points elsewhere, even if no write has failed yet.
"""

from __future__ import annotations

import glob
import logging
import os

import serial

log = logging.getLogger(__name__)

GLOB_CHARS = frozenset("*?[")


class SerialPort:
    def __init__(self, url: str, baudrate: int = 9600, write_timeout: float = 1.0,
                 drain: bool = False) -> None:
        self.url, self.baudrate, self.write_timeout = url, baudrate, write_timeout
        self.drain = drain  # loop:// only echoes: discard the echo so it cannot pile up
        self.serial: serial.Serial | None = None
        self._node: str | None = None  # the device node really opened, for present()

    @property
    def is_path(self) -> bool:
        return "://" not in self.url

    @property
    def is_open(self) -> bool:
        return self.serial is not None

    def _resolve(self) -> str:
        if not self.is_path:
            return self.url
        if GLOB_CHARS & set(self.url):
            found = sorted(glob.glob(self.url))
            if not found:
                raise FileNotFoundError(f"no device matches {self.url}")
            return found[0]
        if not os.path.exists(self.url):
            raise FileNotFoundError(f"{self.url} is not present")
        return self.url

    def open(self) -> None:
        """Open (or reopen) the port; raises ``OSError``/``SerialException`` on failure."""
        self.close()
        name = self._resolve()
        # timeout=0: we never wait to read; write_timeout bounds a stalled device.
        self.serial = serial.serial_for_url(name, baudrate=self.baudrate, timeout=0,
                                            write_timeout=self.write_timeout)
        self._node = os.path.realpath(name) if self.is_path else None
        log.info("opened display %s (%s)", self.url, self._node or name)

    def present(self) -> bool:
        """False once the opened device node is gone or the link moved to another one."""
        if self.serial is None:
            return False
        if self._node is None:
            return True  # network and loop URLs fail on write instead
        try:
            return os.path.realpath(self._resolve()) == self._node \
                and os.path.exists(self._node)
        except OSError:
            return False

    def write(self, data: bytes) -> None:
        if self.serial is None:
            raise serial.PortNotOpenError()
        if not data:
            return
        # No flush(): tcdrain has no timeout, and a display wedged by flow control
        # would hang this thread forever. write_timeout already bounds the write.
        self.serial.write(data)
        if self.drain:
            self.serial.reset_input_buffer()

    def close(self) -> None:
        ser, self.serial, self._node = self.serial, None, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished device may fail; it is gone anyway
                log.debug("closing %s failed", self.url, exc_info=True)
