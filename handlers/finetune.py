"""`/finetune`: the request modal, key=value runs, help/status/cancel/check, uploads, exercise
buttons, the Cancel button and "Try it"."""

from __future__ import annotations

from bot import finetune_views
from bot.actions import (INPUT_ACTION, REQUEST_MODAL, TRY_MODAL, CancelRun, CheckUpload, RunExercise,
                         TrainOnUpload, TryModel)
from bot.files import UploadError, file_info
from bot.finetune_request import RequestError
from bot.services.ratelimit import too_often
from bot.slack import escape, team_and_user
from handlers import challenges, runs
from handlers.common import after_ack, not_yours, own_click

REQUEST_FIELDS = ("data", "model", "method", "epochs", "lr")  # the modal's block ids, named as the options


def finetune_command(command, client, respond, services):
    text = (command.get("text") or "").strip()
    team_id, user_id = command["team_id"], command["user_id"]
    word = text.split(maxsplit=1)[0].lower() if text else ""
    finetune = services.finetune
    if word in ("help", "?"):
        respond(response_type="ephemeral", text=finetune.parser.help_text())
        return
    services.users.ensure(team_id, user_id, client)
    if word == "status":
        jobs = services.jobs.for_user(team_id, user_id)
        positions = {j.id: services.jobs.queue_position(j.id) for j in jobs if j.state == "queued"}
        respond(response_type="ephemeral", **finetune_views.status_message(jobs, positions))
        return
    if word == "runs":
        respond(response_type="ephemeral", **runs.runs_reply(services, team_id, user_id, text[len(word):].strip()))
        return
    if word == "compare":
        respond(response_type="ephemeral", text=runs.compare_reply(services, client, team_id, user_id,
                                                                     text[len(word):].strip()))
        return
    if word == "challenge":
        respond(response_type="ephemeral", **challenges.challenge_reply(services, team_id, user_id,
                                                                         text[len(word):].strip()))
        return
    if word == "cancel":
        rest = text[len(word):].strip().lstrip("#")
        if not rest.isdigit():
            respond(response_type="ephemeral", text="Which run? Use `/finetune cancel 12` (`/finetune status` lists your runs).")
            return
        respond(response_type="ephemeral", text=finetune.cancel(client, team_id, user_id, int(rest)))
        return
    if not text:
        samples = sorted(finetune.parser.samples, key=lambda n: (n != "support_tickets", n))
        client.views_open(trigger_id=command["trigger_id"], view=finetune_views.request_modal(samples, _offline_first()))
        return
    if word == "check":
        text = text[len(word):].strip() + " check=yes"
    outcome = finetune.start_text(client, team_id, user_id, text)
    if outcome.reply:
        respond(response_type="ephemeral", text=outcome.reply)


def request_ack(ack, view, services):
    """The modal's fields become the request directly; a problem goes under the field it is about."""
    values = view["state"]["values"]

    def picked(block: str) -> str | None:
        element = values.get(block, {}).get(INPUT_ACTION, {})
        option = element.get("selected_option")
        return option["value"] if option else element.get("value")

    try:
        request = services.finetune.parser.from_form({key: picked(key) for key in REQUEST_FIELDS})
    except RequestError as error:
        field = error.field if error.field in REQUEST_FIELDS else "lr"
        ack(response_action="errors", errors={field: error.message[:150]})
        return None
    ack()
    return request


def request_submitted(body, client, services, acked):
    team_id, user_id = team_and_user(body)
    outcome = services.finetune.start(client, team_id, user_id, acked)
    if outcome.reply and not outcome.ok:
        channel = services.lessons.dm(client, team_id, user_id)
        client.chat_postMessage(channel=channel, text=outcome.reply)


def exercise_clicked(body, action, client, services):
    if not (read := own_click(RunExercise, body, action, client, "lesson")):
        return
    team_id, user_id = read.team_id, read.user_id
    message = body.get("message") or {}
    if not services.once.claim(f"exercise:{team_id}:{user_id}:{message.get('ts')}:{action['action_id']}"):
        return
    outcome = services.finetune.start_text(client, team_id, user_id, read.click.args)
    if outcome.reply:
        client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=outcome.reply)


def cancel_clicked(body, action, client, services):
    if not (read := own_click(CancelRun, body, action, client, "run")):
        return
    reply = services.finetune.cancel(client, read.team_id, read.user_id, read.click.job)
    client.chat_postEphemeral(channel=body["channel"]["id"], user=read.user_id, text=reply)


def try_clicked(body, action, client, services):
    if not (read := own_click(TryModel, body, action, client, "model")):
        return
    job = services.jobs.get(read.click.job)
    if job is None or job.user_id != read.user_id or job.team_id != read.team_id:
        not_yours(client, body, "model")
        return
    labels = [row.get("label") for row in (job.result or {}).get("per_class") or [] if isinstance(row, dict)]
    chat = (job.result or {}).get("task") == "chat"
    client.views_open(trigger_id=body["trigger_id"], view=finetune_views.try_modal(job.id, labels, chat=chat))


def try_ack(ack, body, view, services):
    """An empty sentence or one over the learner's limit is refused under the field; otherwise the
    modal shows "classifying…" at once (on the ack)."""
    text = (view["state"]["values"].get("text", {}).get(INPUT_ACTION, {}).get("value") or "").strip()
    if not text:
        ack(response_action="errors", errors={"text": "Type a sentence for the model."})
        return None
    job_id = int(view.get("private_metadata") or 0)
    team_id, user_id = team_and_user(body)
    limit = services.finetune.predict_limit  # each sentence is a model run on a worker
    if not limit.allow((team_id, user_id)):
        ack(response_action="errors", errors={"text": too_often("sentences", limit.per_minute)})
        return None
    ack(response_action="update", view=finetune_views.prediction_modal(job_id, text, None))
    return job_id, text


def try_submitted(body, view, services, acked):
    """The sentence goes to a worker, which fills in the modal the ack put up."""
    (job_id, text), (team_id, user_id) = acked, team_and_user(body)
    services.queues.run_prediction(job_id, user_id, text, view["id"], team_id)


def file_shared(event, client):
    """A learner dropped a file in our DM: offer to check it or train on it."""
    user_id, file_id, channel = event.get("user_id"), event.get("file_id"), event.get("channel_id")
    if not user_id or not file_id or not (channel or "").startswith("D"):
        return
    try:
        info = file_info(client, file_id, user_id)
    except UploadError as error:
        client.chat_postMessage(channel=channel, text=f"⚠️ {error.message}")
        return
    name = escape(info.get("name") or file_id)
    client.chat_postMessage(channel=channel, **finetune_views.upload_offer(name, file_id, user_id))


def upload_clicked(body, action, client, services):
    kind = CheckUpload if action.get("action_id") == CheckUpload.ACTION else TrainOnUpload
    if not (read := own_click(kind, body, action, client, "file")):
        return
    team_id, user_id, file_id = read.team_id, read.user_id, read.click.file
    message_ts = (body.get("message") or {}).get("ts")
    if kind is TrainOnUpload and not services.once.claim(f"upload-train:{team_id}:{user_id}:{file_id}:{message_ts}"):
        return
    outcome = services.finetune.start_text(client, team_id, user_id,
                                           f"upload={file_id}" + (" check=yes" if kind is CheckUpload else ""))
    if outcome.reply:
        client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=outcome.reply)


def _offline_first() -> list[str]:
    from training.registry import model_names

    names = model_names()
    preferred = [n for n in ("minilm", "tiny") if n in names]
    return preferred + [n for n in names if n not in preferred]


def register(app) -> None:
    app.command("/finetune")(after_ack(finetune_command))
    app.view(REQUEST_MODAL)(after_ack(request_submitted, ack=request_ack))
    app.action(RunExercise.matcher())(after_ack(exercise_clicked))
    app.action(CancelRun.matcher())(after_ack(cancel_clicked))
    app.action(TryModel.matcher())(after_ack(try_clicked))
    app.view(TRY_MODAL)(after_ack(try_submitted, ack=try_ack))
    app.event("file_shared")(after_ack(file_shared))
    app.action(CheckUpload.matcher())(after_ack(upload_clicked))
    app.action(TrainOnUpload.matcher())(after_ack(upload_clicked))
