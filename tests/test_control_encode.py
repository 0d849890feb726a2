"""Big replies are encoded item by item (so the worker gets the GIL in between); the
bytes must still be exactly one JSON line that decodes to the reply."""

from __future__ import annotations

import json

from kiosk.control import _encode


def test_a_big_events_reply_is_one_json_line_that_decodes_to_the_reply() -> None:
    data = [{"seq": i, "type": "issued", "ticket": f"A{i:03d}", "data": {"service_zh": "理赔"}}
            for i in range(1, 2001)]
    reply = {"ok": True, "events": [], "status": {"day": "2026-11-25"}, "data": data}
    raw = _encode(reply)
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert json.loads(raw) == reply
    assert "理赔".encode() in raw  # UTF-8, not \\u escapes


def test_small_replies_are_unchanged() -> None:
    reply = {"ok": True, "events": [], "data": [{"seq": 1}]}
    assert _encode(reply) == json.dumps(reply, ensure_ascii=False).encode() + b"\n"
