"""Paths in the config, checked the way ``kiosk run`` will use them.

``kiosk check-config`` must refuse what ``kiosk run`` refuses, so a path is checked for
more than its type: a NUL byte, names longer than the file system allows, a virtual
file system, a directory where a file belongs, a parent that is a file, and for the
control socket the byte length that ``AF_UNIX`` allows and what already sits at the
path. What depends on the user who runs the kiosk (permissions, ownership) is left to
the start-up checks of the store and the socket.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kiosk.errors import ConfigError

VIRTUAL = ("/proc", "/sys", "/dev")
NAME_MAX, PATH_MAX = 255, 4095  # bytes, Linux
UNIX_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes on Linux, one for the final NUL


def check_path(key: str, path: Path) -> None:
    """Any path: no NUL, names and the whole path within the file system's limits."""
    text = str(path)
    if "\x00" in text:
        raise ConfigError(key, "contains a NUL character", "remove it from the path")
    if len(os.fsencode(text)) > PATH_MAX:
        raise ConfigError(key, f"is longer than {PATH_MAX} bytes", "use a shorter path")
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise ConfigError(key, f"has a name longer than {NAME_MAX} bytes "
                              f"({part[:16]}...)", "use shorter names")


def _on_virtual_fs(path: Path) -> bool:
    real = os.path.realpath(path)  # follows links, e.g. /var/run -> /run
    return any(real == v or real.startswith(v + "/") for v in VIRTUAL)


def _parent_problem(path: Path) -> str | None:
    for parent in path.parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else f"{parent} is not a directory"
    return None


def check_storage(key: str, path: Path) -> None:
    """The SQLite file: a regular file (or none yet) on a real file system."""
    check_path(key, path)
    fix = 'e.g. "/var/lib/counter-kiosk/kiosk.db"'
    if _on_virtual_fs(path):
        raise ConfigError(key, f"{path} is on a virtual file system (/proc, /sys, /dev)",
                          fix)
    if path.is_dir():
        raise ConfigError(key, f"{path} is a directory", f"name the database file inside "
                          f"it, e.g. {path / 'kiosk.db'}")
    if os.path.lexists(path) and not path.is_file():
        raise ConfigError(key, f"{path} exists and is not a regular file", fix)
    if problem := _parent_problem(path):
        raise ConfigError(key, problem, fix)


def check_socket(key: str, path: Path, storage: Path) -> None:
    """The control socket: short enough for AF_UNIX, and nothing else at its path."""
    check_path(key, path)
    fix = 'e.g. "/run/counter-kiosk/control.sock"'
    size = len(os.fsencode(str(path)))
    if size > UNIX_PATH_MAX:
        raise ConfigError(key, f"is {size} bytes long; a Unix socket path may have at most "
                          f"{UNIX_PATH_MAX} bytes", f"use a shorter path, {fix}")
    if _on_virtual_fs(path):
        raise ConfigError(key, f"{path} is on a virtual file system (/proc, /sys, /dev)",
                          fix)
    if os.path.realpath(path) == os.path.realpath(storage):
        raise ConfigError(key, f"{path} is the database file (storage.path), not a socket",
                          fix)
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        raise ConfigError(key, f"{path} cannot be checked: {exc.strerror}", fix) from None
    if mode is not None and stat.S_ISLNK(mode):
        raise ConfigError(key, f"{path} is a symbolic link", f"point the setting at the "
                          f"socket's real place, {fix}")
    if mode is not None and stat.S_ISDIR(mode):
        raise ConfigError(key, f"{path} is a directory", f"name the socket inside it, e.g. "
                          f"{path / 'control.sock'}")
    if mode is not None and not stat.S_ISSOCK(mode):
        raise ConfigError(key, f"{path} exists and is not a socket", "the kiosk removes "
                          f"only a stale socket; {fix}")
    if problem := _parent_problem(path):
        raise ConfigError(key, problem, fix)
    parent = path.parent
    if parent.is_dir() and os.stat(parent).st_mode & 0o022:
        raise ConfigError(key, f"{parent} is writable by other users, who could replace the "
                          "socket", f"run 'chmod go-w {parent}' or use a private directory, "
                          f"{fix}")
