"""MQTT to the branch server (placeholder until the MQTT issue lands: builds nothing)."""

from __future__ import annotations

from kiosk.ports import DriverContext, DriverParts


def build(ctx: DriverContext) -> DriverParts:
    return DriverParts()
