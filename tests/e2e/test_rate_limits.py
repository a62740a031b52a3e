"""Data checks and "Try it" predictions are rate-limited per learner (issue 13, item 4)."""

from __future__ import annotations

import json

from bot import finetune_views

LIN, ADA = "U0LIN", "U0ADA"


def ephemerals(tutor, channel="C0GENERAL"):
    return [m for m in tutor.ws.messages(channel) if m.get("is_ephemeral")]


def test_data_checks_are_rate_limited_per_learner(tutor):
    limit = tutor.settings.checks_per_minute
    for n in range(1, limit + 1):
        tutor.ws.slash(LIN, "/finetune", "check data=support_tickets", channel="C0GENERAL")
        tutor.ws.wait_for(lambda n=n: (lambda r: r if len(r) >= n else None)(ephemerals(tutor)))
    tutor.ws.slash(LIN, "/finetune", "check data=support_tickets", channel="C0GENERAL")
    refused = tutor.ws.wait_for(lambda: [m for m in ephemerals(tutor) if "in a minute" in m.get("text", "")])
    assert f"more than {limit} data checks" in refused[0]["text"]
    reports = [m for m in tutor.ws.messages(tutor.ws.dm_channel(LIN)) if "Data report" in m.get("text", "")]
    assert len(reports) == limit
    tutor.ws.slash(ADA, "/finetune", "check data=support_tickets", channel="C0GENERAL")  # Ada has her own
    tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages(tutor.ws.dm_channel(ADA)) if "Data report" in m.get("text", "")])


def test_try_it_is_rate_limited_per_learner(tutor):
    jobs = tutor.services.jobs
    job = jobs.create("T0SANDBOX", LIN, {"data": "support_tickets"}, tutor.ws.dm_channel(LIN))
    jobs.transition(job.id, ("validating",), "succeeded", model_dir="/nonexistent",
                    result={"metrics": {"accuracy": 0.9}, "per_class": [{"label": "billing"}]})
    msg = finetune_views.results_message(jobs.get(job.id), jobs.get(job.id).result, plots_follow=False)
    tutor.services.client.chat_postMessage(channel=tutor.ws.dm_channel(LIN), **msg)
    results = tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages(tutor.ws.dm_channel(LIN))
                                         if "finetune_try" in json.dumps(m.get("blocks", []))])
    limit = tutor.settings.predictions_per_minute
    tutor.ws.click(LIN, results[0], "finetune_try")
    view = tutor.ws.wait_for(lambda: tutor.ws.open_views(LIN))[-1]
    answers = [tutor.ws.submit_view(LIN, view, {"text": {"value": f"sentence {i}"}}).json for i in range(limit + 1)]
    assert [a.get("response_action") for a in answers] == ["update"] * limit + ["errors"]
    assert f"more than {limit} sentences" in answers[-1]["errors"]["text"]
