"""Small helpers shared by the surfaces: the ack/work split every listener is registered with
(`after_ack`), reading a click with its owner check, and telling a clicker that a message is someone else's."""

from __future__ import annotations

import inspect
import logging
from typing import Callable

from bot.actions import C, ClickRead, read_click
from bot.afterack import Busy
from bot.slack import team_and_user
from bot.views import without_actions

__all__ = ["after_ack", "own_click", "not_yours", "retire_buttons", "team_and_user", "read_click",
           "BUSY_TRY_AGAIN", "BUSY_SAVED"]

log = logging.getLogger(__name__)

BUSY_TRY_AGAIN = "⏳ I'm very busy right now and could not do that. Please try again in a minute."
BUSY_SAVED = ("⏳ I'm very busy right now: your answer is saved and counts, but this message may not "
              "update. Carry on, or look at `/progress` in a minute.")
BOLT_ARGS = ("ack", "body", "client", "context", "request", "respond", "command", "action", "view", "event",
             "services")


def _arg_names(function: Callable) -> list[str]:
    names = inspect.getfullargspec(function).args
    unknown = set(names) - set(BOLT_ARGS) - {"acked"}
    if unknown:
        raise TypeError(f"{function.__qualname__} takes arguments Bolt does not give: {sorted(unknown)}")
    return names


def after_ack(work: Callable, *, ack: Callable | None = None, busy: str = BUSY_TRY_AGAIN) -> Callable:
    """The Bolt listener for `work` (named as `work`), split in two, the one place that split is made.

    The ack half runs on the request's own thread (`process_before_response=True`) and does no network
    I/O: `ack`, when given, validates, may store one short row (a quiz answer) and calls Bolt's `ack`
    itself, returning None when nothing is left to do, or the value `work` then gets as `acked`;
    without it the half is a plain `ack()`. `work` (which takes no `ack`) then runs on the app's bounded
    after-ack executor (`bot.afterack.AfterAck`); its errors reach the app's error handler as a
    listener's would. When that executor is full, the request is still acknowledged and the learner is
    told `busy` (from a pool of its own, so the ack never waits for it either)."""
    work_names = _arg_names(work)
    if "ack" in work_names:
        raise TypeError(f"{work.__qualname__} runs after the ack and must not take `ack`")
    ack_half, ack_names = ack, (_arg_names(ack) if ack else [])

    # Bolt fills these parameters by name; `ack` in here is Bolt's acknowledge function
    def listener(ack, body, client, context, request, respond, command, action, view, event, services):
        given = dict(ack=ack, body=body, client=client, context=context, request=request, respond=respond,
                     command=command, action=action, view=view, event=event, services=services)
        if ack_half is None:
            ack()
            acked = True
        else:
            acked = ack_half(**{name: given[name] for name in ack_names})
        if acked is None:
            return
        given["acked"] = acked
        runner = context["listener_runner"]
        kwargs = {name: given[name] for name in work_names}

        def run() -> None:
            try:
                work(**kwargs)
            except Exception as error:  # noqa: BLE001 - told to the learner by the app's error handler
                runner.listener_error_handler.handle(error=error, request=request, response=None)

        try:
            runner.listener_executor.submit(run)
        except Busy:
            log.warning("after-ack queue full: %s acknowledged, its work not started", work.__name__)
            context["busy_notice"](body, busy)

    listener.__name__, listener.__qualname__ = work.__name__, work.__qualname__
    listener.__module__, listener.__doc__ = work.__module__, work.__doc__
    listener.work, listener.ack_half = work, ack
    return listener


def not_yours(client, body: dict, what: str = "quiz") -> None:
    """Someone clicked a button of another learner's message (shared or forwarded)."""
    text = (f"This {what} belongs to someone else, so your click changed nothing. "
            "Type `/lesson` to get your own.")
    if body.get("response_url"):  # answers the clicker wherever the message was shared
        from bot.slackhosts import send_to_response_url

        if send_to_response_url(body["response_url"], client.base_url, text):
            return
    _team_id, user_id = team_and_user(body)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    client.chat_postEphemeral(channel=channel, user=user_id, text=text)


def own_click(kind: type[C], body: dict, action: dict, client, what: str) -> ClickRead | None:
    """The click when the clicker may act on it; a foreign click gets told so; a forged value, nothing."""
    read = read_click(kind, body, action)
    if read.foreign:
        not_yours(client, body, what)
    return read if read.mine else None


def retire_buttons(client, body: dict, note: str) -> None:
    """Replace the clicked message's buttons with a note, so it reads as done."""
    message = body.get("message") or {}
    if message.get("ts"):
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", ""),
                           blocks=without_actions(message.get("blocks", []), note))
