"""Serial call displays: CD5220 2x20 customer displays and line-text LED boards.

Configure one ``[[displays]]`` table per display; each is a subscriber that shows the
calls for the counters it covers::

    [[displays]]
    name = "hall"
    url = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"
    protocol = "cd5220"
    counters = "all"

With no ``displays`` section the kiosk runs one simulated hall display on ``loop://``,
so the demo works on any laptop. See docs/counter-hardware.md for every key.
"""

from __future__ import annotations

from typing import Any

from drivers.display import protocols, views
from drivers.display.port import SerialPort
from drivers.display.spec import DisplaySpec, parse
from drivers.display.subscriber import SerialDisplay
from kiosk.ports import DriverContext, DriverParts, Submit

__all__ = ["DisplaySpec", "SerialDisplay", "build", "build_one", "validate"]

SIMULATED = [{"name": "hall", "url": "loop://", "protocol": "cd5220", "counters": "all"}]


def validate(raw: Any) -> None:
    """Check the ``displays`` section; raises ConfigError naming e.g. ``displays[0].url``."""
    parse(raw)


def build_one(spec: DisplaySpec, submit: Submit, *, drain: bool = False) -> SerialDisplay:
    port = SerialPort(spec.url, spec.baudrate, spec.write_timeout_s, drain=drain)
    return SerialDisplay(spec.name, port, protocols.for_spec(spec), views.for_spec(spec),
                         submit, flash_ms=spec.flash_ms, reconnect_s=spec.reconnect_s)


def build(ctx: DriverContext) -> DriverParts:
    """One subscriber per configured display (a simulated hall display if none)."""
    if ctx.settings is None:
        displays = [build_one(s, ctx.submit, drain=True) for s in parse(SIMULATED)]
    else:
        displays = [build_one(s, ctx.submit) for s in ctx.settings]
    return DriverParts(subscribers=list(displays))
