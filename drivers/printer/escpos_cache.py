"""Let python-escpos keep its parsed printer database between runs.

On import, ``escpos.capabilities`` parses its 96 KB ``capabilities.json`` with PyYAML
unless it finds a pickle of it in ``ESCPOS_CAPABILITIES_PICKLE_DIR``; left unset, that
directory is a fresh ``mkdtemp()`` on every start, so the pickle is never found again.
Parsing costs ~0.1 s of CPU here (more on a Pi) and leaves ~2 MB more resident than
loading the pickle. We point it at a cache directory of ours, once, before the first
import. A value the operator set is kept; an unwritable cache means no change at all
(python-escpos would fail writing its pickle there).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "counter-kiosk" / "escpos"


def use_pickle_cache() -> None:
    """Set ``ESCPOS_CAPABILITIES_PICKLE_DIR`` if python-escpos is not imported yet."""
    if "escpos.capabilities" in sys.modules or ENV in os.environ:
        return
    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    if os.access(directory, os.W_OK | os.X_OK):
        os.environ[ENV] = str(directory)
