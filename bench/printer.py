"""Ticket render time (image and GB18030 modes), bytes per ticket, and issue-to-print
time over a serial pty and TCP.

``run()`` returns the figures; ``python -m bench.printer`` prints them as JSON. Render
means: from an ``issued`` event to the complete ESC/POS bytes of the ticket (layout,
drawing, raster conversion, cut), as the printer thread does it before sending.
Tickets vary in number, queue length, wait and time, as in a real morning, so the
per-line cache only helps where a real kiosk's would. Target: p99 <= 30 ms.
``first`` is the first ticket after the printer's warm-up (as the subscriber runs it
once the service is up); ``cold_first`` the same with no warm-up, fonts closed.

First ticket after start, as a customer sees it (``printer_boot_*``): a real
``kiosk run --headless`` with the demo config (image mode) and its printer on a TCP fake
printer; from the ``issue`` request over the control socket to the whole job (cut
included) at the printer. ``first_at_ready`` is issued the moment the service first
answers (the warm-up is still running then), ``first_after_warmup`` once the log says
the printer path is warm, as for a customer who walks up a few seconds after boot; the
p50 is over the tickets that follow. Target: first <= 2 x p50.

On the wire (``printer_wire_*``): bytes per ticket for both modes and both paper
widths, and the seconds they take at 9600, 19200 and 115200 baud (8N1) and over USB.
Target: an image-mode ticket <= 20 KB, <= 1.8 s at 115200 baud.

Issue to print: from the subscriber seeing the ``issued`` event to the whole job in the
fake printer (status before and after included), with printers that answer each
``DLE EOT n`` with one byte as Epson's reference says (``tests/printer_fakes.py``).
A pty moves bytes at memory speed, so this is the kiosk's own cost; a real serial line
adds the job's size x 10 bits / baud rate. Target: <= 1 s (``_s`` figures).
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from drivers.printer import PrinterSubscriber, backends, fonts, settings
from drivers.printer import ticket as tk
from drivers.printer.job import Renderer
from kiosk import config
from kiosk.events import Event
from tests.printer_fakes import FakeNetworkPrinter, FakeSerialPrinter, Reports


def _events(n: int) -> list[Event]:
    out = []
    for i in range(n):
        service = "ABC"[i % 3]
        ts = f"2026-11-23T{8 + i // 60 % 10:02d}:{i % 60:02d}:00+08:00"
        out.append(Event("issued", ts, ts[:10], ticket=f"{service}{i + 1:03d}", service=service,
                         data={"number": i + 1, "priority": "elderly" if i % 7 == 0 else None,
                               "ahead": i % 40, "wait_minutes": (i % 40) * 4}))
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(tickets: int = 300, width_mm: int = 80) -> dict[str, float]:
    cfg = config.load()
    events = _events(tickets)
    out: dict[str, float] = {}
    for mode in ("image", "gb18030"):
        s = settings.parse({"chinese_mode": mode, "paper_width_mm": width_mm,
                            "qr": "https://example.com/queue"})
        first = tk.from_event(events[0], cfg, s.qr)
        fonts.close_all()
        t0 = time.perf_counter()
        Renderer(s).render(first)  # nothing open or converted yet: no warm-up
        out[f"printer_{mode}_cold_first_ms"] = (time.perf_counter() - t0) * 1000
        fonts.close_all()
        r = Renderer(s)
        r.warm_up(tk.samples(cfg, s.qr))  # what the printer subscriber does after start
        t0 = time.perf_counter()
        r.render(first)
        out[f"printer_{mode}_first_ms"] = (time.perf_counter() - t0) * 1000
        times, sizes = [], []
        for e in events:
            t0 = time.perf_counter()
            data = r.render(tk.from_event(e, cfg, r.settings.qr)).data
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(data))
        out[f"printer_{mode}_render_p50_ms"] = _pct(times, 0.50)
        out[f"printer_{mode}_render_p99_ms"] = _pct(times, 0.99)
        out[f"printer_{mode}_bytes_per_ticket"] = statistics.mean(sizes)
    out.update(wire(min(tickets, 60)))
    out.update(first_ticket_after_start())
    out.update(issue_to_print())
    out.update(serial_status())
    return {k: round(v, 3) if k.endswith("_s") else round(v, 2) for k, v in out.items()}


BAUDS = (9600, 19200, 115200)
USB_BYTES_PER_S = 1_000_000  # USB full speed bulk transfers, as a printer takes them


def wire(tickets: int = 60) -> dict[str, float]:
    """Bytes per ticket (mean and largest) for both modes and both paper widths, and the
    time they take on the wire: 10 bits a byte (8N1) at each baud rate, and over USB.
    The printer prints while bytes still arrive, so on a slow line this is, give or take
    the paper time, when the ticket is in the customer's hand."""
    cfg = config.load()
    events = _events(tickets)
    out: dict[str, float] = {}
    for mode in ("image", "gb18030"):
        for width_mm in (58, 80):
            s = settings.parse({"chinese_mode": mode, "paper_width_mm": width_mm,
                                "qr": "https://example.com/queue"})
            r = Renderer(s)
            sizes = [len(r.render(tk.from_event(e, cfg, s.qr)).data) for e in events]
            key = f"printer_wire_{mode}_{width_mm}mm"
            mean = statistics.mean(sizes)
            out[f"{key}_bytes_per_ticket"] = mean
            out[f"{key}_bytes_max"] = max(sizes)
            for baud in BAUDS:
                out[f"{key}_{baud}_baud_s"] = mean * 10 / baud
            out[f"{key}_usb_s"] = mean / USB_BYTES_PER_S
    return out


@contextlib.contextmanager
def _serial() -> Iterator[tuple[str, Callable[[], int]]]:
    fake = FakeSerialPrinter()
    try:
        # the pty stream is live: count a job once its cut (GS V) has arrived
        yield fake.url(baudrate=115200), lambda: sum(j.endswith(b"\x1dV\x00")
                                                     for j in fake.jobs)
    finally:
        fake.close()


@contextlib.contextmanager
def _tcp() -> Iterator[tuple[str, Callable[[], int]]]:
    fake = FakeNetworkPrinter()
    try:
        yield fake.url, lambda: len(fake.jobs)
    finally:
        fake.close()


def issue_to_print(tickets: int = 20) -> dict[str, float]:
    cfg = config.load()
    events = _events(tickets)
    out: dict[str, float] = {}
    logging.getLogger("drivers.printer").setLevel(logging.WARNING)  # one line per ticket
    for link, fake in (("serial", _serial), ("tcp", _tcp)):
        for mode in ("image", "gb18030"):
            with fake() as (url, printed):
                s = settings.parse({"url": url, "chinese_mode": mode})
                reports = Reports()
                sub = PrinterSubscriber(cfg, reports, s, backends.open_backend(s))
                try:
                    _until(lambda r=reports: r.statuses == ["ok"])  # start-up probe
                    times = []
                    for i, e in enumerate(events):
                        t0 = time.perf_counter()
                        sub.handle(e, None)  # type: ignore[arg-type]
                        _until(lambda n=i + 1: printed() >= n)
                        times.append(time.perf_counter() - t0)
                    failed = [d for d in reports.details if "not printed" in d]
                finally:
                    sub.close()
            key = f"printer_{link}_{mode}_issue_to_print"
            out[f"{key}_p50_s"] = _pct(times, 0.50)
            out[f"{key}_max_s"] = max(times)
            out[f"printer_{link}_{mode}_not_printed"] = len(failed)
    return out


def first_ticket_after_start(tickets: int = 20) -> dict[str, float]:
    from bench.memory import DemoKiosk, demo_config

    out: dict[str, float] = {}
    for when in ("at_ready", "after_warmup"):
        fake = FakeNetworkPrinter()
        with tempfile.TemporaryDirectory(prefix="kiosk-boot-") as tmp:
            kiosk = DemoKiosk(demo_config(Path(tmp), fake.url), Path(tmp) / "kiosk.log")
            try:
                _until(kiosk.ready, 60)
                if when == "after_warmup":
                    _until(lambda k=kiosk: k.logged("printer path warmed up"), 60)
                times, replies = [], []
                for i in range(tickets):
                    t0 = time.perf_counter()
                    reply = kiosk.ask("issue", service="ABC"[i % 3])
                    replies.append((time.perf_counter() - t0) * 1000)
                    if not reply.get("ok"):
                        raise RuntimeError(f"issue refused: {reply}")
                    _until(lambda n=i + 1, f=fake: len(f.jobs) >= n)
                    times.append((time.perf_counter() - t0) * 1000)
            finally:
                kiosk.stop()
                fake.close()
        p50 = _pct(times[1:], 0.50)
        out[f"printer_boot_first_{when}_ms"] = times[0]
        out[f"printer_boot_p50_{when}_ms"] = p50
        out[f"printer_boot_first_over_p50_{when}"] = times[0] / p50
        out[f"printer_boot_issue_reply_p50_{when}_ms"] = _pct(replies, 0.50)
    return out


def serial_status(timeout: float = 0.5) -> dict[str, float]:
    """One DLE EOT on a pty printer: python-escpos's ``query_status`` (``read(16)``
    waits out its timeout) against our four-query status read (one byte each)."""
    from escpos.printer import Serial

    fake = FakeSerialPrinter()
    try:
        p = Serial(fake.device, timeout=timeout)
        p.open()
        t0 = time.perf_counter()
        p.query_status(b"\x10\x04\x01")
        escpos_s = time.perf_counter() - t0
        p.close()
        backend = backends.open_backend(settings.parse({"url": fake.url()}))
        with backend.session() as session:
            t0 = time.perf_counter()
            session.status()
            ours_s = time.perf_counter() - t0
    finally:
        fake.close()
    return {f"printer_serial_escpos_query_status_timeout_{timeout:g}_s": escpos_s,
            "printer_serial_status_four_queries_s": ours_s}


def _until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the fake printer did not get the ticket")
        time.sleep(0.002)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--wire"]:  # the wire figures alone, in a few seconds
        figures = {k: round(v, 3) if k.endswith("_s") else round(v, 1)
                   for k, v in wire().items()}
        print(json.dumps(figures, indent=2))
    else:
        print(json.dumps(run(), indent=2))
