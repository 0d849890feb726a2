"""Printer stand-ins for tests: a TCP printer that answers DLE EOT, and helpers.

:class:`FakeNetworkPrinter` listens on a free 127.0.0.1 port, records every job's bytes
and answers real-time status queries from its :attr:`mode`. A query is recognised as
``10 04 n`` at the end of a received chunk: the driver sends one and then waits for the
answer, so it always ends what the fake has received so far.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from concurrent.futures import Future
from typing import Any

from kiosk.commands import Command, ReportDevice
from kiosk.events import Event

# DLE EOT replies for n = 1..4 (bit 1 and bit 4 always set)
REPLIES: dict[str, dict[int, int]] = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
}
MODES = (*REPLIES, "drop", "hang")


class FakeNetworkPrinter:
    """A 9100-style printer on loopback. ``mode``: a status name, "drop" or "hang"."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.jobs: list[bytes] = []  # one entry per connection that sent job data
        self.queries = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
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
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = bytearray()
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
                data += chunk
                if len(data) >= 3 and data[-3:-1] == b"\x10\x04" and data[-1] in (1, 2, 3, 4):
                    n = data[-1]
                    del data[-3:]
                    with self._lock:
                        self.queries += 1
                    if self.mode not in REPLIES:  # switched to drop/hang mid-connection
                        break
                    conn.sendall(bytes([REPLIES[self.mode][n]]))
        if data:
            with self._lock:
                self.jobs.append(bytes(data))


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
