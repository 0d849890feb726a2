"""counter-kiosk: take-a-number kiosk for an insurance branch service hall.

The package is split the way DESIGN.md describes:

* :mod:`kiosk.core` - the pure queue rules: ``decide(state, command, now)`` and
  ``apply(state, event)``. No I/O, no clock reads.
* :mod:`kiosk.store` - the SQLite event log and MQTT outbox (the only source of truth).
* :mod:`kiosk.service` - the single worker thread and command queue around the core.
* :mod:`kiosk.control` / :mod:`kiosk.cli` - the local control socket and the ``kiosk`` command.
"""

__version__ = "0.1.0"
