"""The last printed ticket, in a corner of the dev window (F2 hides or shows it).

With a ``preview://DIR`` printer (the default when no ``[printer]`` is configured) the
printer driver writes ``DIR/latest.png`` (by rename, so it is never read half-written)
after each ticket; the preview shows that file again after each ``issued`` event, once
its modification time changes. With any other printer there is no PNG: the ticket is
drawn here from the ``issued`` event with the printer's own renderer, on a worker thread.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.uix.image import Image

from kiosk.events import Event

if TYPE_CHECKING:
    from ui.app import KioskApp

log = logging.getLogger(__name__)
LOOK_AFTER = (0.3, 1.0, 3.0)  # s after an issued event: the printer writes the PNG by then


def preview_dir(app: KioskApp) -> Path | None:
    """The directory of a ``preview://`` printer, or None for any other printer."""
    from drivers.printer import settings

    cfg = app.kiosk_config
    raw = cfg.drivers.get("printer")
    base = cfg.source.parent if cfg.source else None
    ps = settings.parse(raw, base)
    ep = ps.endpoint
    return Path(ep.target) if ep.scheme == "preview" else None


class TicketPreview(Image):
    def __init__(self, app: KioskApp, **kwargs: Any) -> None:
        super().__init__(size_hint=(None, None), fit_mode="contain",
                         pos_hint={"right": 0.995, "y": 0.12}, **kwargs)
        self.app = app
        self.opacity = 0
        self.hidden = False
        self._mtime = 0.0
        self._dir = preview_dir(app)
        self._renderer: Any = None
        app.bind(s=self._resize)
        self._resize(app, app.s)
        with self.canvas.after:  # a thin frame: it is not part of the screen beneath
            Color(0.3, 0.3, 0.3, 1)
            self._frame = Line(rectangle=(0, 0, 0, 0), width=1)
        self.bind(pos=self._reframe, size=self._reframe)

    def _reframe(self, *_: Any) -> None:
        self._frame.rectangle = (self.x, self.y, self.width, self.height)

    def _resize(self, _app: Any, s: float) -> None:
        self.size = (120 * s, 220 * s)

    def toggle(self) -> None:
        """F2 in a dev window: the preview covers a corner of the screen it previews."""
        self.hidden = not self.hidden
        self.opacity = 0 if self.hidden or self.texture is None else 1

    def on_kiosk_event(self, event: dict[str, Any]) -> None:
        if event.get("type") != "issued":
            return
        if self._dir is not None:
            for delay in LOOK_AFTER:
                Clock.schedule_once(lambda _dt: self._look(), delay)
        else:
            threading.Thread(target=self._draw, args=(event,), daemon=True).start()

    def _look(self) -> None:
        assert self._dir is not None
        latest = self._dir / "latest.png"
        try:
            mtime = latest.stat().st_mtime
        except OSError:
            return
        if mtime != self._mtime:
            self._mtime = mtime
            self._show(latest)

    def _draw(self, event: dict[str, Any]) -> None:
        """Render the ticket off Kivy's thread and show it (no PNG printer configured)."""
        try:
            from drivers.printer import settings
            from drivers.printer import ticket as tickets
            from drivers.printer.job import Renderer

            cfg = self.app.kiosk_config
            ps = settings.parse(cfg.drivers.get("printer"))
            if self._renderer is None:
                self._renderer = Renderer(ps)
            job = self._renderer.render(tickets.from_event(Event.from_dict(event), cfg, ps.qr),
                                        with_image=True)
            if job.image is None:
                return
            out = self.app.state_dir / "preview.png"
            tmp = out.with_suffix(".part.png")
            job.image.save(tmp)
            tmp.replace(out)
        except Exception:  # a preview must never take the screen down
            log.exception("could not draw the ticket preview")
            return
        Clock.schedule_once(lambda _dt: self._show(out), 0)

    def _show(self, path: Path) -> None:
        self.source = str(path)
        self.reload()
        self.opacity = 0 if self.hidden else 1
