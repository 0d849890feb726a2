"""Ticket render time (image and GB18030 modes) and bytes per ticket.

``run()`` returns the figures; ``python -m bench.printer`` prints them as JSON. Render
means: from an ``issued`` event to the complete ESC/POS bytes of the ticket (layout,
drawing, raster conversion, cut), as the printer thread does it before sending.
Tickets vary in number, queue length, wait and time, as in a real morning, so the
per-line cache only helps where a real kiosk's would. Target: p99 <= 30 ms.
"""

from __future__ import annotations

import json
import statistics
import time

from drivers.printer import settings
from drivers.printer import ticket as tk
from drivers.printer.job import Renderer
from kiosk import config
from kiosk.events import Event


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
        r = Renderer(settings.parse({"chinese_mode": mode, "paper_width_mm": width_mm,
                                     "qr": "https://example.com/queue"}))
        t0 = time.perf_counter()
        r.render(tk.from_event(events[0], cfg, r.settings.qr))  # font lookup, first draw
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
    return {k: round(v, 2) for k, v in out.items()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
