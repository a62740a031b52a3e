"""`/finetune`: the request modal, key=value runs, help/status/cancel/check, uploads, exercise
buttons, the Cancel button and "Try it"."""

from __future__ import annotations

import re
import shlex

from bot import finetune_views
from bot.services.ratelimit import too_often
from bot.slack import escape
from handlers.common import action_value, not_yours, own_click, team_and_user

EXERCISE_ACTION = re.compile(r"^exercise_run_\d+$")
UPLOAD_ACTION = re.compile(r"^finetune_upload_(check|train)$")


def register(app, services) -> None:
    from bot.services.finetune import FinetuneService

    finetune = FinetuneService(services, services.queues)
    services.finetune = finetune

    @app.command("/finetune")
    def finetune_command(ack, command, client, respond):
        ack()
        text = (command.get("text") or "").strip()
        team_id, user_id = command["team_id"], command["user_id"]
        word = text.split(maxsplit=1)[0].lower() if text else ""
        if word in ("help", "?"):
            from training.request import help_text

            respond(response_type="ephemeral", text=help_text())
            return
        services.users.ensure(team_id, user_id, client)
        if word == "status":
            jobs = services.jobs.for_user(team_id, user_id)
            positions = {j.id: services.jobs.queue_position(j.id) for j in jobs if j.state == "queued"}
            respond(response_type="ephemeral", **finetune_views.status_message(jobs, positions))
            return
        if word == "cancel":
            rest = text[len(word):].strip().lstrip("#")
            if not rest.isdigit():
                respond(response_type="ephemeral", text="Which run? Use `/finetune cancel 12` (`/finetune status` lists your runs).")
                return
            respond(response_type="ephemeral", text=finetune.cancel(client, team_id, user_id, int(rest)))
            return
        if not text:
            from training.registry import model_names
            from training.request import sample_datasets

            client.views_open(trigger_id=command["trigger_id"],
                              view=finetune_views.request_modal(sorted(sample_datasets(), key=lambda n: (n != "support_tickets", n)),
                                                                         _offline_first(model_names())))
            return
        if word == "check":
            text = text[len(word):].strip() + " check=yes"
        outcome = finetune.start(client, team_id, user_id, text)
        if outcome.reply:
            respond(response_type="ephemeral", text=outcome.reply)

    @app.view("finetune_request")
    def request_submitted(ack, body, view, client):
        values = view["state"]["values"]

        def picked(block: str) -> str | None:
            element = values.get(block, {}).get("value", {})
            option = element.get("selected_option")
            return option["value"] if option else element.get("value")

        lr = (picked("lr") or "").strip()
        args = " ".join(f"{key}={shlex.quote(str(picked(key) or ''))}" for key in ("data", "model", "method", "epochs"))
        if lr:
            args += f" lr={shlex.quote(lr)}"
        from training.errors import RequestError

        try:
            finetune.parse(args)
        except RequestError as error:
            field = {"lr": "lr", "epochs": "epochs", "data": "data", "model": "model", "method": "method"}
            block = next((b for key, b in field.items() if f"`{key}" in error.message), "lr")
            ack(response_action="errors", errors={block: error.message[:150]})
            return
        ack()
        team_id, user_id = team_and_user(body)
        outcome = finetune.start(client, team_id, user_id, args)
        if outcome.reply and not outcome.ok:
            channel = services.lessons.dm(client, team_id, user_id)
            client.chat_postMessage(channel=channel, text=outcome.reply)

    @app.action(EXERCISE_ACTION)
    def exercise_clicked(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "lesson")):
            return
        team_id, user_id, value = click
        message = body.get("message") or {}
        if not services.once.claim(f"exercise:{team_id}:{user_id}:{message.get('ts')}:{action['action_id']}"):
            return
        outcome = finetune.start(client, team_id, user_id, str(value.get("args", "")))
        if outcome.reply:
            client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=outcome.reply)

    @app.action("finetune_cancel")
    def cancel_clicked(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "run")):
            return
        team_id, user_id, value = click
        reply = finetune.cancel(client, team_id, user_id, int(value.get("j", 0)))
        client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=reply)

    @app.action("finetune_try")
    def try_clicked(ack, body, action, client):
        ack()
        team_id, user_id = team_and_user(body)
        value = action_value(action)
        job = services.jobs.get(int(value.get("j", 0)))
        if job is None or job.user_id != user_id or job.team_id != team_id:
            not_yours(client, body, "model")
            return
        labels = [row.get("label") for row in (job.result or {}).get("per_class") or [] if isinstance(row, dict)]
        client.views_open(trigger_id=body["trigger_id"], view=finetune_views.try_modal(job.id, labels))

    @app.view("finetune_try_modal")
    def try_submitted(ack, body, view):
        text = (view["state"]["values"].get("text", {}).get("value", {}).get("value") or "").strip()
        if not text:
            ack(response_action="errors", errors={"text": "Type a sentence to classify."})
            return
        job_id = int(view.get("private_metadata") or 0)
        team_id, user_id = team_and_user(body)
        if not _prediction_allowed(ack, services, team_id, user_id):
            return
        ack(response_action="update", view=finetune_views.prediction_modal(job_id, text, None))
        services.queues.run_prediction(job_id, user_id, text, view["id"], team_id=team_id)

    @app.event("file_shared")
    def file_shared(event, body, client):
        """A learner dropped a file in our DM: offer to check it or train on it."""
        user_id, file_id, channel = event.get("user_id"), event.get("file_id"), event.get("channel_id")
        if not user_id or not file_id or not (channel or "").startswith("D"):
            return
        from bot.files import UploadError, file_info

        try:
            info = file_info(client, file_id, user_id)
        except UploadError as error:
            client.chat_postMessage(channel=channel, text=f"⚠️ {error.message}")
            return
        name = escape(info.get("name") or file_id)
        client.chat_postMessage(channel=channel, **finetune_views.upload_offer(name, file_id, user_id))

    @app.action(UPLOAD_ACTION)
    def upload_clicked(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "file")):
            return
        team_id, user_id, value = click
        check = action["action_id"].endswith("check")
        args = f"upload={value.get('f')}" + (" check=yes" if check else "")
        if not check and not services.once.claim(f"upload-train:{team_id}:{user_id}:{value.get('f')}:{body.get('message', {}).get('ts')}"):
            return
        outcome = finetune.start(client, team_id, user_id, args)
        if outcome.reply:
            client.chat_postEphemeral(channel=body["channel"]["id"], user=user_id, text=outcome.reply)

    @app.event("message")
    def message_event():
        """DMs to the bot need no answer (uploads arrive as `file_shared`); acknowledged quietly."""


def _prediction_allowed(ack, services, team_id: str, user_id: str) -> bool:
    """Try it is rate-limited per learner: each sentence is a model run on a worker."""
    limit = services.finetune.predict_limit
    if limit.allow((team_id, user_id)):
        return True
    ack(response_action="errors", errors={"text": too_often("sentences", limit.per_minute)})
    return False


def _offline_first(names: list[str]) -> list[str]:
    preferred = [n for n in ("minilm", "tiny") if n in names]
    return preferred + [n for n in names if n not in preferred]
