"""The test broker is our own: a free loopback port, gone when stopped."""

from __future__ import annotations

import socket

import pytest

from tests.mosquitto import Broker


def test_the_broker_listens_on_its_own_port_and_stops(broker: Broker) -> None:
    assert broker.port != 1883 and broker.running
    with socket.create_connection((broker.host, broker.port), timeout=1):
        pass
    pid = broker.proc.pid if broker.proc else 0
    broker.stop()
    assert not broker.running
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.port), timeout=0.5).close()
    with pytest.raises(ProcessLookupError):
        import os
        os.kill(pid, 0)
    broker.start()  # the same port again, for outage tests
    assert broker.running
