"""Hostile text in commands comes back escaped: never a ping, never a link, never a traceback."""

from __future__ import annotations

import pytest

from tests.reliability.conftest import LIN, all_bot_text

HOSTILE = {
    "channel-ping": "<!channel>",
    "here-ping": "<!here> hi",
    "user-ping": "<@U0ADA>",
    "link": "<https://evil.example|click me>",
    "bold": "*bold* _it_ ~s~",
    "long": "x" * 10_000,
    "control": "a\x00b\x07c\x1b[31m\r\nd",
    "rtl": "\u202egnp.exe\u200f <!channel>",
}
PINGS = ("<!channel>", "<!here>", "<@U0ADA>", "<https://evil")


@pytest.mark.parametrize("command, template", [
    ("/lesson", "{text}"),
    ("/lesson", "daily {text}"),
    ("/finetune", "data={text}"),
    ("/finetune", "cancel {text}"),
    ("/progress", "{text}"),
])
def test_hostile_text_never_pings_or_crashes(tutor, command, template):
    for name, text in HOSTILE.items():
        delivery = tutor.ws.slash(LIN, command, template.format(text=text), channel="C0GENERAL")
        assert delivery.status == 200, (name, delivery.status)
        assert "Traceback" not in delivery.body
    tutor.settle()  # every command's listener has finished
    # replies arrive on the ack itself or through response_url; both become ephemeral messages
    tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages(include_ephemeral=True) if m.get("is_ephemeral")]
                      or tutor.ws.journal(kind="response_url"), timeout=10)
    said = all_bot_text(tutor)
    for ping in PINGS:
        assert ping not in said, ping
    assert "Traceback" not in said and "went wrong on my side" not in said
