"""``kiosk ui --mqtt``: only the hall board follows over MQTT, and only with a broker.

The refusal comes before Kivy is imported, so these need no display.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.kiosk_proc import write_config


@pytest.mark.parametrize(("mode", "extra"), [
    ("customer", '[mqtt]\nurl = "mqtt://127.0.0.1:9"\n'),  # a customer screen: never
    ("hall", ""),                                           # no broker configured
])
def test_mqtt_follow_is_refused_with_the_reason(tmp_path: Path, mode: str, extra: str) -> None:
    cfg = write_config(tmp_path, extra)
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "ui", "--mode", mode, "--mqtt",
                          "--config", str(cfg)], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode != 0
    assert "--mode hall --mqtt" in out.stderr and "[mqtt] url" in out.stderr
    assert "Traceback" not in out.stderr
