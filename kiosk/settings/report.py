"""The ``[report]`` table: what the service-quality figures measure against.

Every key is optional::

    [report]
    shifts = ["08:30-12:30", "12:30-17:00"]  # duty shifts for the handover sheet (交接班)
    wait_threshold_min = 15    # a wait longer than this is counted as "waited too long"
    late_grace_min = 0         # a counter opened this many minutes late is still on time

Shifts are clock-time ranges applied to each business day, in order and without overlap
(24:00 may end the last one; a shift cannot run past midnight). With no shifts, the
handover sheet covers the whole business day.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from msgspec import Meta

from kiosk.config_model import Interval, Section, parse_intervals, rule

Shift = Annotated[str, rule(fix='e.g. "08:30-12:30"')]


class ReportSettings(Section, frozen=True, dict=True):
    shifts: Annotated[tuple[Shift, ...], rule(
        "must be a list of at most 6 shifts", 'e.g. ["08:30-12:30", "12:30-17:00"]',
        max_length=6)] = ()
    wait_threshold_min: Annotated[int, Meta(ge=1, le=240)] = 15
    late_grace_min: Annotated[int, Meta(ge=0, le=60)] = 0

    def __post_init__(self) -> None:
        self.shift_times  # noqa: B018 - checks the ranges now, with their key

    @cached_property
    def shift_times(self) -> tuple[Interval, ...]:
        """The shifts as (start, end) times; an end of None is 24:00."""
        return parse_intervals(self.shifts, "shifts")
