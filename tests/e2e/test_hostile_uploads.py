"""Uploads measured in issue 13 (item 2) go through the bot's Check button: each gets a data report
saying what to fix, and the bot goes on answering."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from hostile_files import HOSTILE  # noqa: E402

LIN = "U0LIN"


def dm(tutor):
    return [m for m in tutor.ws.messages(tutor.ws.dm_channel(LIN)) if not m.get("is_ephemeral")]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_gets_a_report_and_the_bot_stays_up(tutor, name):
    tutor.ws.upload_file(LIN, name, HOSTILE[name]())
    offer = tutor.ws.wait_for(lambda: [m for m in dm(tutor) if "finetune_upload_check" in json.dumps(m.get("blocks", []))])[0]
    tutor.ws.click(LIN, offer, "finetune_upload_check")
    report = tutor.ws.wait_for(lambda: [m for m in dm(tutor) if "Data report" in m.get("text", "")])[0]
    body = json.dumps(report["blocks"], ensure_ascii=False)
    assert "more than 100" in body and "Fix the errors" in body
    tutor.ws.slash(LIN, "/finetune", "status")
    assert tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages(tutor.ws.dm_channel(LIN)) + tutor.ws.messages("C0GENERAL")
                                      if "no fine-tune runs yet" in m.get("text", "") + json.dumps(m.get("blocks", []))])
