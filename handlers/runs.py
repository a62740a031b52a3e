"""A learner's runs: `/finetune runs` and `/finetune compare` (dispatched from `handlers.finetune`), the
list's Newer/Older buttons (in a message or App Home), and the "Compare runs…" modal."""

from __future__ import annotations

from bot import runs_views
from bot.actions import COMPARE_MODAL, COMPARE_PICK, INPUT_ACTION, PickRuns, RunQuestionAnswer, RunsPage
from bot.runs import MAX_COMPARE, MIN_COMPARE
from bot.services.runs import CompareRefused, parse_ids
from bot.slack import team_and_user
from handlers.common import BUSY_SAVED, after_ack, not_yours, own_click, read_click


def runs_reply(services, team_id: str, user_id: str, rest: str) -> dict:
    """`/finetune runs [page]`: the first (or given) page of the learner's runs, as message arguments."""
    page = int(rest) - 1 if rest.isdigit() and 0 < int(rest) < 10_000 else 0
    listed = services.runs.page(team_id, user_id, page)
    return runs_views.runs_message(listed.runs, listed.page, listed.has_more, user_id)


def compare_reply(services, client, team_id: str, user_id: str, rest: str) -> str:
    """`/finetune compare 12 15`: the comparison goes to the learner's DM; the reply says so, or what to fix."""
    try:
        ids = parse_ids(rest)
    except CompareRefused as refused:
        return f"⚠️ {refused}"
    return services.runs.compare(client, team_id, user_id, ids)


def runs_page_clicked(body, action, client, respond, services):
    if not (read := own_click(RunsPage, body, action, client, "list of runs")):
        return
    click = read.click
    if click.where == "home":
        from handlers.home import publish_home

        publish_home(services, client, read.team_id, read.user_id, runs_page=click.page)
        return
    listed = services.runs.page(read.team_id, read.user_id, click.page)
    respond(replace_original=True, **runs_views.runs_message(listed.runs, listed.page, listed.has_more, read.user_id))


def compare_pick_clicked(body, action, client, services):
    if not (read := own_click(PickRuns, body, action, client, "list of runs")):
        return
    finished = services.runs.finished(read.team_id, read.user_id)
    if len(finished) < MIN_COMPARE:
        client.chat_postEphemeral(channel=(body.get("channel") or {}).get("id") or services.lessons.dm(
            client, read.team_id, read.user_id), user=read.user_id,
            text=f"You need at least {MIN_COMPARE} finished runs to compare; you have {len(finished)}.")
        return
    client.views_open(trigger_id=body["trigger_id"], view=runs_views.compare_modal(finished))


def compare_ack(ack, view):
    """A pick of too few or too many runs is refused under the field; the run ids otherwise."""
    picked = view["state"]["values"].get(COMPARE_PICK, {}).get(INPUT_ACTION, {}).get("selected_options") or []
    ids = [int(o["value"]) for o in picked if str(o.get("value", "")).isdigit()]
    if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
        ack(response_action="errors", errors={COMPARE_PICK: f"Pick {MIN_COMPARE} to {MAX_COMPARE} runs."})
        return None
    ack()
    return ids


def compare_submitted(body, client, services, acked):
    team_id, user_id, ids = *team_and_user(body), acked
    reply = services.runs.compare(client, team_id, user_id, ids)
    if reply.startswith("⚠️"):
        client.chat_postMessage(channel=services.lessons.dm(client, team_id, user_id), text=reply)


def run_question_ack(ack, body, action, services):
    """The first answer to a question about the learner's own run is stored before the ack."""
    read = read_click(RunQuestionAnswer, body, action)
    if not read.mine:
        ack()
        return "foreign" if read.foreign else None  # someone else's question: told so after the ack
    answer = services.run_questions.answer(read.team_id, read.user_id, read.click.question, read.click.choice)
    ack()
    if answer is None or not answer.first:
        return None  # not theirs, not a choice, or answered already: the first answer stands
    return answer


def run_question_answered(body, client, acked):
    """The question is redrawn in place with its explanation (once)."""
    if acked == "foreign":
        not_yours(client, body, "question")
        return
    answer = acked
    message = body.get("message") or {}
    blocks = runs_views.run_question_after_answer(message.get("blocks", []), answer.question)
    if blocks is not None and message.get("ts"):
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", "Questions"),
                           blocks=blocks)


def register(app) -> None:
    app.action(RunsPage.matcher())(after_ack(runs_page_clicked))
    app.action(PickRuns.matcher())(after_ack(compare_pick_clicked))
    app.view(COMPARE_MODAL)(after_ack(compare_submitted, ack=compare_ack))
    app.action(RunQuestionAnswer.matcher())(after_ack(run_question_answered, ack=run_question_ack, busy=BUSY_SAVED))
