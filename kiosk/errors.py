"""Every exception the kiosk raises, in one tree (gpiozero's ``exc.py`` style).

One root, an area root per subsystem, and leaves that also inherit the matching
built-in so callers can catch either. "Degraded but still running" is not an exception
here: a faulty device becomes a ``device_status`` event and a log line, which reach staff
and the branch server, where a Python warning would be shown once and lost.
"""

from __future__ import annotations


class KioskError(Exception):
    """Root of every error raised by counter-kiosk."""


class ConfigError(KioskError, ValueError):
    """The configuration is invalid. ``key`` names the offending key (dotted path)."""

    def __init__(self, key: str, problem: str, fix: str = "") -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        text = f"{key}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class StoreError(KioskError):
    """Root of storage errors."""


class SchemaTooNewError(StoreError, RuntimeError):
    """The database was written by a newer version of the kiosk."""


class StoreLockedError(StoreError, RuntimeError):
    """Another process holds the store: two kiosks on one database would issue the same
    numbers. ``pid`` is the holder's process id as it wrote it ("?" if unreadable)."""

    def __init__(self, message: object, pid: str = "?") -> None:
        super().__init__(str(message))
        self.pid = pid


class StoreCorruptError(StoreError, RuntimeError):
    """The database file is damaged. It is left untouched for the operator to inspect."""


class StoreUnwritableError(StoreError, RuntimeError):
    """The database, its directory or a file beside it cannot be written."""


class ControlError(KioskError):
    """Root of control-socket errors."""


class ServiceUnavailableError(ControlError, ConnectionError):
    """The kiosk service is not running, or its socket cannot be reached."""


class ProtocolError(ControlError, ValueError):
    """A control-socket request or reply is malformed."""


class DeviceError(KioskError):
    """Root of hardware driver errors (printer, display, buttons, audio)."""


class SocketPathError(ControlError, ValueError):
    """The control socket path is not ours to use: another kind of file or a symbolic link
    sits there, or its directory is open to other users. Nothing was removed."""

