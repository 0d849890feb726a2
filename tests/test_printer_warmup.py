"""The printer path is warmed in the background once the service runs, so the first
ticket after boot finds python-escpos imported, the faces open and the branch's fixed
lines converted; and nothing the service needs waits for that warm-up."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import drivers.printer as printer
from drivers.printer import backends, fonts, raster
from drivers.printer import ticket as tk
from drivers.printer.job import Renderer
from drivers.printer.settings import PrinterSettings
from kiosk.bootstrap import driver_context
from kiosk.clock import FakeClock
from kiosk.service import KioskService
from kiosk.store import Store
from tests.printer_fakes import Reports, issue, issued
from tests.support import driver_parts, make_config, wait_for


class GatedRenderer(Renderer):
    """A renderer whose warm-up waits at ``gate``; real tickets never do."""

    def __init__(self, settings: PrinterSettings) -> None:
        super().__init__(settings)
        self.gate = threading.Event()
        self.warm_calls = 0

    def warm_up(self, samples: list[tk.Ticket], *, with_image: bool = False,
                stop: Callable[[], bool] = lambda: False) -> None:
        self.warm_calls += 1
        assert self.gate.wait(30), "the test never opened the gate"
        super().warm_up(samples, with_image=with_image, stop=stop)


@pytest.fixture
def gated(tmp_path: Path, clock: FakeClock
          ) -> Iterator[tuple[KioskService, printer.PrinterSubscriber, GatedRenderer]]:
    cfg = make_config(tmp_path, printer={"url": "dummy://"})
    svc = KioskService(cfg, Store(cfg.storage_path), clock=clock)
    ctx = driver_context(cfg, svc.submit, "printer")
    assert ctx.settings is not None
    s = ctx.settings.resolved(ctx.config_dir)
    renderer = GatedRenderer(s)
    sub = printer.PrinterSubscriber(ctx, svc.submit, s, backends.open_backend(s), renderer)
    svc.add_subscriber(sub)
    try:
        yield svc, sub, renderer
    finally:
        renderer.gate.set()  # let the warm-up finish so close() joins it
        svc.stop()
        sub.close()
        svc.store.close()


def test_the_service_runs_and_prints_while_the_warm_up_is_held(
        gated: tuple[KioskService, printer.PrinterSubscriber, GatedRenderer]) -> None:
    svc, sub, renderer = gated
    svc.start()
    assert svc.status is not None  # the first status is there with the warm-up not done
    wait_for(lambda: renderer.warm_calls == 1)  # it has started, and is held
    issue(svc, "B")  # the worker answers and commits
    backend = sub.backend
    assert isinstance(backend, backends.DummyBackend)
    wait_for(lambda: backend.output)  # the ticket printed without waiting for the warm-up
    assert not sub.warmed.is_set() and renderer.warm_calls == 1
    renderer.gate.set()
    wait_for(sub.warmed.is_set, timeout=30)
    assert sub.warm_error is None


def test_after_the_warm_up_a_first_ticket_opens_no_face(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts.close_all()
    reports = Reports()  # no service: no event ever comes, the warm-up starts on its own
    cfg = make_config(printer={"url": "dummy://", "qr": "https://example.com/queue"})
    sub = driver_parts(printer, cfg, reports, "printer").subscribers[0]
    try:
        assert isinstance(sub, printer.PrinterSubscriber)
        wait_for(sub.warmed.is_set, timeout=30)
        assert sub.warm_error is None
        pair, size = sub.renderer.fonts, raster.sizes_for(sub.renderer.width)
        assert (pair.regular, size["m"]) in fonts.loaded()  # the queue line's face is open
        opened: list[tuple[fonts.Face, int]] = []
        real_open = fonts._open
        monkeypatch.setattr(fonts, "_open", lambda f, s: opened.append((f, s)) or
                            real_open(f, s))
        for service in "ABC":  # the first ticket of each service after boot
            event = issued(f"{service}001", service, ahead=0, wait=0)
            ticket = tk.from_event(event, cfg, sub.settings.qr)
            assert sub.renderer.render(ticket).data
        assert opened == []  # every face and fixed line was ready
    finally:
        sub.close()

