"""The MQTT topic names, in one place (documented with payloads in docs/mqtt.md).

>>> t = Topics("kiosk", "east-city", "k1")
>>> t.base, t.availability, t.state
('kiosk/east-city/k1', 'kiosk/east-city/k1/availability', 'kiosk/east-city/k1/state')
>>> t.event("issued"), t.cmd("call-next"), t.cmd_filter
('kiosk/east-city/k1/events/issued', 'kiosk/east-city/k1/cmd/call-next', 'kiosk/east-city/k1/cmd/+')
>>> Topics.action_of("kiosk/east-city/k1/cmd/recall")
'recall'
"""

from __future__ import annotations

from dataclasses import dataclass

HA_PREFIX = "homeassistant"
HA_STATUS = f"{HA_PREFIX}/status"  # Home Assistant says "online" here when it (re)starts


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str
    branch: str
    device: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.branch}/{self.device}"

    @property
    def availability(self) -> str:  # retained: online / offline (also the last will)
        return f"{self.base}/availability"

    @property
    def state(self) -> str:  # retained JSON: the status plus ts
        return f"{self.base}/state"

    def event(self, kind: str) -> str:  # QoS 1, one message per event
        return f"{self.base}/events/{kind}"

    def cmd(self, action: str) -> str:
        return f"{self.base}/cmd/{action}"

    @property
    def cmd_filter(self) -> str:
        return f"{self.base}/cmd/+"

    @property
    def daily_summary(self) -> str:  # retained JSON: the figures of the day just ended
        return f"{self.base}/summary/daily"

    @property
    def reply(self) -> str:
        return f"{self.base}/reply"

    @staticmethod
    def action_of(topic: str) -> str:
        return topic.rsplit("/", 1)[-1]

    @staticmethod
    def branch_filter(prefix: str, branch: str) -> str:
        """Everything every kiosk of a branch publishes (for ``kiosk monitor``)."""
        return f"{prefix}/{branch}/#"
