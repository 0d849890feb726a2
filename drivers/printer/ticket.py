"""What a ticket says, as a list of layout blocks both renderers understand.

Everything comes from the ``issued`` event and the branch configuration, never from
anywhere a customer's personal data could be: the ticket carries a number, a service,
the queue length, a time and the branch's own texts. Wording comes from the one message
catalogue (:mod:`kiosk.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from kiosk import messages
from kiosk.events import ISSUED, Event

if TYPE_CHECKING:
    from kiosk.config import Branch, Service

Size = Literal["xs", "s", "m", "l", "xl"]


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: Size = "s"
    bold: bool = False
    align: Literal["center", "left"] = "center"
    invert: bool = False  # white on black: the priority banner
    # differs from ticket to ticket (number, queue, time): drawn each time, never cached,
    # so a day of tickets does not pile up one cached image per number
    varies: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """A separator line."""


@dataclass(frozen=True, slots=True)
class Qr:
    data: str


Block = Line | Rule | Qr


@dataclass(frozen=True, slots=True)
class Ticket:
    """One ticket's content; :meth:`blocks` lays it out top to bottom."""

    number: str  # "A012"
    branch_zh: str
    branch_en: str
    service_zh: str
    service_en: str
    priority: bool
    ahead: int
    wait_minutes: int
    issued_at: str  # "2025-11-24 09:41"
    documents: tuple[tuple[str, str], ...] = ()
    hotline: str = ""
    qr: str | None = None
    reprint: bool = False

    def blocks(self) -> list[Block]:
        t = messages.text
        out: list[Block] = [Line(self.branch_zh, "m", bold=True), Line(self.branch_en, "xs"),
                            Rule()]
        if self.priority:
            p = t("ticket_priority")
            out.append(Line(f"{p.zh} {p.en}", "s", bold=True, invert=True))
        out += [Line(self.number, "xl", bold=True, varies=True),
                Line(self.service_zh, "l", bold=True),
                Line(self.service_en, "s"), Rule()]
        ahead = t("ticket_ahead", ahead=self.ahead)
        out += [Line(ahead.zh, "m", varies=True), Line(ahead.en, "xs", varies=True)]
        wait = (t("ticket_wait", minutes=self.wait_minutes) if self.ahead and self.wait_minutes
                else t("ticket_wait_none"))
        out += [Line(wait.zh, "m", varies=True), Line(wait.en, "xs", varies=True)]
        if self.documents:
            head = t("ticket_documents")
            out += [Rule(), Line(head.zh, "s", bold=True, align="left"),
                    Line(head.en, "xs", align="left")]
            for zh, en in self.documents:
                out += [Line(f"· {zh}", "s", align="left"), Line(f"  {en}", "xs", align="left")]
        thanks = t("ticket_thanks")
        # one bilingual line: the catalogue's two labels, then the time once
        label = t("ticket_issued_at", time="")
        when = f"{label.zh.strip()} {label.en.strip()} {self.issued_at}"
        out += [Rule(), Line(thanks.zh, "m", bold=True), Line(thanks.en, "xs"),
                Line(when, "xs", varies=True)]
        if self.hotline:
            line = t("ticket_hotline", hotline=self.hotline)
            out.append(Line(f"{line.zh} / {line.en}", "xs"))
        if self.qr:
            caption = t("ticket_qr")
            out += [Qr(self.qr), Line(caption.zh, "xs"), Line(caption.en, "xs")]
        if self.reprint:
            again = t("ticket_reprint")
            out.append(Line(f"{again.zh} {again.en}", "xs", bold=True))
        return out


class BranchInfo(Protocol):
    """What a ticket needs to know of the branch (a DriverContext has it)."""

    @property
    def branch(self) -> Branch: ...

    @property
    def services(self) -> Mapping[str, Service]: ...


def from_event(event: Event, config: BranchInfo, qr: str | None = None) -> Ticket:
    """Build the ticket for an ``issued`` event; ``ValueError`` if the event lacks data."""
    if event.ticket is None or event.service is None:
        raise ValueError(f"issued event {event.seq} has no ticket or service")
    data = event.data
    service = config.services.get(event.service)
    docs = tuple((d.zh, d.en) for d in service.documents) if service else ()
    stamp = datetime.fromisoformat(event.ts).strftime("%Y-%m-%d %H:%M")
    return Ticket(
        number=event.ticket,
        branch_zh=config.branch.name_zh,
        branch_en=config.branch.name_en,
        service_zh=str(data.get("service_zh") or (service.name_zh if service else "")),
        service_en=str(data.get("service_en") or (service.name_en if service else "")),
        priority=bool(data.get("priority")),
        ahead=int(data.get("ahead", 0)),
        wait_minutes=int(data.get("wait_minutes", 0)),
        issued_at=stamp,
        documents=docs,
        hotline=config.branch.hotline,
        qr=qr,
    )


def samples(config: BranchInfo, qr: str | None = None) -> list[Ticket]:
    """Throw-away tickets for the warm-up: one per service, so every fixed line a branch
    prints (service names, documents, the priority banner, the reprint mark) is drawn."""
    ts = "2026-01-05T08:30:00+00:00"
    out = []
    for i, prefix in enumerate(config.services):
        event = Event(ISSUED, ts, ts[:10], ticket=f"{prefix}000", service=prefix,
                      data={"priority": "warm-up" if i == 0 else None, "ahead": 1,
                            "wait_minutes": 10})
        out.append(replace(from_event(event, config, qr), reprint=i == 0))
    return out
