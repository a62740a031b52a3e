"""`/finetune task=chat` end to end: the real bot, the sandbox, and a real worker process tuning the tiny
random Llama on the support_chat sample: request → progress → results with checks, side-by-side
answers and the loss curves → "Try it" answered by both models. Bad chat requests leave no job active."""

from __future__ import annotations

import json

import pytest

from bot.processes import stop_process
from tests.helpers import LIN, dm, latest_job, spawn_worker

pytestmark = pytest.mark.slow


def test_chat_finetune_to_side_by_side_results_and_try_it(tutor):
    worker = spawn_worker(tutor)
    try:
        delivery = tutor.ws.slash(LIN, "/finetune", "task=chat model=tiny-llama epochs=1")
        assert delivery.status == 200
        job = tutor.ws.wait_for(lambda: latest_job(tutor))
        assert job.request["task"] == "chat" and job.request["data"] == "support_chat"
        results = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN)
                                             if m.get("text", "").startswith(f"Fine-tune #{job.id}: chat")], timeout=400)
        body = json.dumps(results[0]["blocks"])
        assert "Follows the house format" in body and "ROUGE-L" in body
        pairs = [b for b in results[0]["blocks"] if b.get("fields") and "*Base model*" in b["fields"][0]["text"]]
        assert len(pairs) == 5 and all("*Tuned*" in b["fields"][1]["text"] for b in pairs)
        updates = [e for e in tutor.ws.journal("chat.update") if f"Fine-tune #{job.id}" in json.dumps(e["args"])]
        assert any("phase training" in json.dumps(e["args"]) for e in updates), "the progress bar moved"
        assert any("phase answering" in json.dumps(e["args"]) for e in updates)
        images = tutor.ws.wait_for(lambda: [f for m in dm(tutor.ws, LIN) for f in m.get("files", [])
                                            if f["name"] == "loss.png"], timeout=30)
        assert images
        done = tutor.services.jobs.get(job.id)
        assert done.state == "succeeded" and set(done.result["checks"]) == {"format", "rouge_l", "length"}
        # Try it: one prompt, answered by the base model and the tuned one
        tutor.ws.click(LIN, results[0], "finetune_try")
        view = tutor.ws.wait_for(lambda: tutor.ws.open_views(LIN))[-1]
        assert "base model and the tuned one" in json.dumps(view)
        response = tutor.ws.submit_view(LIN, view, {"text": {"value": "My notes don't sync to my phone"}})
        assert response.status == 200
        answered = tutor.ws.wait_for(lambda: [v for v in tutor.ws.open_views(LIN) if "*Tuned*" in json.dumps(v)],
                                     timeout=120)
        fields = next(b for b in answered[-1]["blocks"] if b.get("fields"))["fields"]
        assert fields[0]["text"].startswith("*Base model*") and fields[1]["text"].startswith("*Tuned*")
    finally:
        stop_process(worker, kill=True)


def test_bad_chat_requests_get_clear_messages_and_leave_no_active_job(tutor):
    for text in ("task=chat method=frozen", "task=chat model=minilm", "task=chat text=body",
                 "task=chat data=support_tickets"):
        delivery = tutor.ws.slash(LIN, "/finetune", text, channel="C0GENERAL")
        assert delivery.status == 200
    replies = tutor.ws.wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(
        [m for m in tutor.ws.messages("C0GENERAL") if m.get("is_ephemeral")]))
    assert all("⚠️" in r["text"] and "Traceback" not in r["text"] for r in replies)
    # support_tickets is classification data: the data check fails the job at once, with the report
    report = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN) if "needs fixes" in m.get("text", "")])
    assert "prompt" in json.dumps(report[0]["blocks"]) and "task=classify" in json.dumps(report[0]["blocks"])
    jobs = tutor.services.jobs.for_user("T0SANDBOX", LIN)
    assert all(j.state in ("failed", "cancelled", "succeeded") for j in jobs)
