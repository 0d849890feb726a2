"""The built-in defaults: a working 3-service, 4-counter branch on simulated hardware.

Open around the clock, so ``kiosk run`` works with no file at all. A file overrides them
section by section (:func:`kiosk.config.merge`); ``services`` and ``counters`` are
replaced as a whole when given. Optional keys of the other sections take their defaults
from the model (:mod:`kiosk.config_model`, :mod:`kiosk.settings`).
"""

from __future__ import annotations

from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATE_DIR = "~/.local/state/counter-kiosk"
DEFAULT_PRINTER_URL = f"preview://{STATE_DIR}/tickets"
DEFAULT_SINK = f"wav://{STATE_DIR}/announcements"
DEFAULT_CLIPS = f"{STATE_DIR}/clips"

DEFAULTS: dict[str, Any] = {
    "branch": {
        "name_zh": "示例保险 城东支公司",
        "name_en": "Example Insurance, East City Branch",
        "device_id": "kiosk-demo",
        "code": "demo",
        "timezone": "Asia/Shanghai",
        "hotline": "95500",
    },
    "clock": {"require_sync": False, "sync_flag": "/run/systemd/timesync/synchronized"},
    "queue": {
        "number_digits": 3,
        "max_recalls": 2,
        "priority_streak_limit": 2,
        "priority_reasons": ["elderly", "disabled", "urgent"],
        "rating_window_s": 120,
    },
    "storage": {"path": f"{STATE_DIR}/kiosk.db"},
    "control": {"socket": f"{STATE_DIR}/control.sock"},
    "hours": {
        **{day: ["00:00-24:00"] for day in WEEKDAYS},
        "holidays": [],
        "special": {},
    },
    "services": [
        {
            "prefix": "A", "name_zh": "业务办理", "name_en": "Underwriting", "avg_minutes": 8,
            "documents": [
                {"zh": "投保人身份证件原件", "en": "Policyholder's ID document (original)"},
                {"zh": "银行卡或存折（用于缴费）", "en": "Bank card or passbook for payment"},
                {"zh": "已有保单（如办理变更）", "en": "Existing policy (for changes)"},
            ],
        },
        {
            "prefix": "B", "name_zh": "理赔", "name_en": "Claims", "avg_minutes": 12,
            "documents": [
                {"zh": "被保险人身份证件", "en": "Insured person's ID document"},
                {"zh": "保单或保险凭证", "en": "Policy or insurance certificate"},
                {"zh": "事故证明、病历或发票原件", "en": "Accident report, medical records or "
                 "original invoices"},
                {"zh": "收款银行卡", "en": "Bank card to receive payment"},
            ],
        },
        {
            "prefix": "C", "name_zh": "咨询·投诉", "name_en": "Enquiries & complaints",
            "avg_minutes": 6,
            "documents": [
                {"zh": "保单号或相关材料（如有）", "en": "Policy number or related papers, if any"},
            ],
        },
    ],
    "counters": [
        {"id": 1, "services": ["A", "C"], "policy": "preference"},
        {"id": 2, "services": ["A", "C"], "policy": "preference"},
        {"id": 3, "services": ["B"], "policy": "fifo"},
        {"id": 4, "services": ["C"], "policy": "fifo"},
    ],
}
