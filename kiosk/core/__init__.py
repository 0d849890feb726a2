"""The pure core: queue rules with no I/O and no clock reads (``now`` is passed in)."""

from kiosk.core.decide import Rejected, decide
from kiosk.core.state import State, apply, new_state, replay

__all__ = ["Rejected", "State", "apply", "decide", "new_state", "replay"]
