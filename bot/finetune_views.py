"""Block Kit for fine-tune jobs: the queued/progress/result message, the request modal, "Try it",
and the data report. Pure functions of the job row and result dicts."""

from __future__ import annotations

from bot import actions
from bot.blocks import actions as actions_block
from bot.blocks import context, message, section
from bot.finetune_request import describe
from bot.slack import escape
from bot.views import bar

OUTCOME_EVENT = "tutor_finetune_outcome"  # message metadata on the post that tells a job's owner how it ended


def outcome_metadata(job_id: int) -> dict:
    """Slack message metadata naming the job, so a restart can look up whether its owner was told."""
    return {"event_type": OUTCOME_EVENT, "event_payload": {"job_id": job_id}}


STATE_EMOJI = {"validating": "🔎", "queued": "⏳", "running": "🏃", "succeeded": "✅", "failed": "⚠️",
               "cancelled": "🛑"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def job_message(job, position: int | None = None) -> dict:
    """The one message per job, updated in place as it moves through its states."""
    head = f"{STATE_EMOJI.get(job.state, '')} *Fine-tune #{job.id}* — {describe(job.request or {})}"
    blocks = [section(head)]
    if job.state == "validating":
        blocks.append(context("Checking your data…"))
    elif job.state == "queued":
        blocks.append(context(f"Queued — position {position or 1} in line. I'll update this message as it runs."))
    elif job.state == "running":
        detail = job.progress_detail or {}
        pct = max(0.0, min(1.0, job.progress or 0.0))
        line = f"`{bar(round(pct * 100), 100, 20)}` {pct:.0%}"
        facts = [f"phase {escape(str(detail.get('phase', 'starting')))}"]
        if detail.get("total_epochs"):
            facts.append(f"epoch {min(detail.get('total_epochs'), int(detail.get('epoch') or 0) + 1)}/{detail['total_epochs']}")
        if detail.get("total_steps"):
            facts.append(f"step {detail.get('step', 0)}/{detail['total_steps']}")
        if detail.get("loss") is not None:
            facts.append(f"loss {detail['loss']:.3f}")
        if (detail.get("eta_seconds") or 0) > 0 and (detail.get("step") or 0) >= 3:  # early estimates mislead
            facts.append(f"about {_duration(detail['eta_seconds'])} left")
        blocks.append(section(line + "\n" + " · ".join(facts)))
    elif job.state == "failed":
        blocks.append(section(f"*It did not work:* {escape(job.error_message or 'unknown error')}"))
        blocks.append(context(f"error code `{escape(job.error_code or 'unknown')}` · `/finetune help` shows the options"))
    elif job.state == "cancelled":
        blocks.append(context("Cancelled. Nothing was kept from this run."))
    elif job.state == "succeeded":
        blocks.append(context("Finished — results below."))
    if job.state in ("validating", "queued", "running"):
        blocks.append(actions_block(actions.CancelRun(owner=job.user_id, job=job.id).button("Cancel", style="danger")))
    return message(f"Fine-tune #{job.id}: {job.state}", blocks)


def _pct(value) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "–"


def results_message(job, result: dict, plots_follow: bool = True) -> dict:
    """What the learner learns from: metrics against both baselines, per-class scores, confusions
    (a chat fine-tune's results are `chat_results_message`)."""
    if result.get("task") == "chat":
        return chat_results_message(job, result, plots_follow)
    metrics = result.get("metrics") or {}
    baselines = result.get("baselines") or {}
    timings = result.get("timings") or {}
    majority = baselines.get("majority") or {}
    tfidf = baselines.get("tfidf_logreg") or baselines.get("tfidf") or {}
    acc, f1 = metrics.get("accuracy"), metrics.get("macro_f1")
    verdict = ""
    if isinstance(acc, (int, float)) and isinstance(tfidf.get("accuracy"), (int, float)):
        gain = acc - tfidf["accuracy"]
        verdict = (f"Fine-tuning beat the TF-IDF baseline by *{gain * 100:+.1f} points*." if gain > 0.005 else
                   f"Fine-tuning did *not* beat the simple TF-IDF baseline ({gain * 100:+.1f} points): "
                   "more data, more epochs or a different method may help — or the simple model is enough.")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Results of fine-tune #{job.id}"[:150]}},
        section(describe(job.request or {})),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Accuracy*\n{_pct(acc)}"},
            {"type": "mrkdwn", "text": f"*Macro-F1*\n{_pct(f1)}"},
            {"type": "mrkdwn", "text": f"*Majority-class baseline*\n{_pct(majority.get('accuracy'))} acc · {_pct(majority.get('macro_f1'))} F1"},
            {"type": "mrkdwn", "text": f"*TF-IDF + logistic regression*\n{_pct(tfidf.get('accuracy'))} acc · {_pct(tfidf.get('macro_f1'))} F1"},
            {"type": "mrkdwn", "text": f"*Training time*\n{_duration(timings.get('train_seconds'))}"},
            {"type": "mrkdwn", "text": f"*Speed*\n{timings.get('train_examples_per_second', 0):.1f} examples/s"},
        ]},
    ]
    if verdict:
        blocks.append(section(verdict))
    per_class = result.get("per_class") or {}
    if per_class:
        rows = [f"{'class':<18} {'prec':>5} {'rec':>5} {'F1':>5} {'n':>4}"]
        items = per_class.items() if isinstance(per_class, dict) else ((c.get("label"), c) for c in per_class)
        for label, scores in list(items)[:20]:
            rows.append(f"{str(label)[:18]:<18} {scores.get('precision', 0):>5.2f} {scores.get('recall', 0):>5.2f} "
                        f"{scores.get('f1', 0):>5.2f} {int(scores.get('support', 0)):>4}")
        blocks.append(section("*Per class*\n```" + escape("\n".join(rows)) + "```"))
    pairs = result.get("confused_pairs") or []
    if pairs:
        lines = []
        for pair in pairs[:3]:
            lines.append(f"• *{escape(str(pair.get('true')))}* read as *{escape(str(pair.get('predicted')))}* "
                         f"— {pair.get('count')} times")
            for example in (pair.get("examples") or [])[:2]:
                text = example if isinstance(example, str) else example.get("text", "")
                lines.append(f"    › _{escape(text[:160])}_")
        blocks.append(section("*Most-confused pairs*\n" + "\n".join(lines)[:2900]))
    plots = ("Plots (loss curves and confusion matrix) follow." if plots_follow else
             "(Posted after a restart: the plots stayed with the worker.)")
    blocks.append(context(f"{plots} {_kept_weights(result.get('training') or {})} "
                          f"{_how_to_load((job.request or {}).get('method'))}"))
    blocks.append(actions_block(actions.TryModel(owner=job.user_id, job=job.id).button("Try it", style="primary"),
                                actions.AskAbout(owner=job.user_id, job=job.id).button("Ask about this")))
    blocks.append(context("Questions about this run? Reply in this thread or press *Ask about this*."))
    return message(f"Fine-tune #{job.id}: accuracy {_pct(acc)}, macro-F1 {_pct(f1)}", blocks)


CHECK_LABELS = {"format": "Follows the house format", "rouge_l": "ROUGE-L to the reference", "length": "Length (words)"}


def _check_value(name: str, value) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    return f"{value:.0%}" if name == "format" else (f"{value:.2f}" if name == "rouge_l" else f"{value:.0f}")


def _answer(text: str, limit: int = 900) -> str:
    text = (text or "").strip() or "(no answer)"
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def chat_results_message(job, result: dict, plots_follow: bool = True) -> dict:
    """A chat fine-tune's results: the automatic checks for base and tuned on every held-out prompt,
    then held-out prompts with the base and the tuned model's answers side by side."""
    checks = result.get("checks") or {}
    base, tuned = result.get("base") or {}, result.get("tuned") or {}
    prompts = (result.get("splits") or {}).get("test", "?")
    rows = [f"{'check':<26}{'base':>8}{'tuned':>8}"]
    rows += [f"{CHECK_LABELS.get(name, name):<26}{_check_value(name, v.get('base')):>8}{_check_value(name, v.get('tuned')):>8}"
             for name, v in checks.items()]
    summary = (f"The tuned model follows the house format on *{tuned.get('format_count', '?')} of {prompts}* held-out "
               f"prompts; the base model on {base.get('format_count', '?')}.")
    timings = result.get("timings") or {}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Results of fine-tune #{job.id}"[:150]}},
        section(describe(job.request or {})),
        section(summary + "\n```" + escape("\n".join(rows)) + "```"),
        context(f"Checked on all {prompts} held-out prompts, greedy answers with the same settings for both. "
                f"Training took {_duration(timings.get('train_seconds'))}. ROUGE-L compares words with the reference "
                "answer (0 to 1); reference answers average "
                f"{(tuned or {}).get('reference_length', '?')} words."),
    ]
    for number, example in enumerate((result.get("examples") or [])[:5], start=1):
        blocks.append(section(f"*Prompt {number}:* {_answer(example.get('prompt', ''), 600)}"))
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Base model*\n{_answer(example.get('base', ''))}"},
            {"type": "mrkdwn", "text": f"*Tuned*\n{_answer(example.get('tuned', ''))}"}]})
    training = result.get("training") or {}
    plots = ("The loss curves (training and validation) follow." if plots_follow else
             "(Posted after a restart: the plot stayed with the worker.)")
    kept = (f"Kept: the weights with the lowest validation loss ({training['best_validation_loss']:.3f})."
            if isinstance(training.get("best_validation_loss"), (int, float)) else "")
    blocks.append(context(f"{plots} {kept} The merged model loads with `AutoModelForCausalLM.from_pretrained(path)`"
                          + ("; the LoRA adapter is saved beside it." if (result.get("paths") or {}).get("adapter_dir") else ".")))
    blocks.append(actions_block(actions.TryModel(owner=job.user_id, job=job.id).button("Try it", style="primary"),
                                actions.AskAbout(owner=job.user_id, job=job.id).button("Ask about this")))
    tuned_format = (checks.get("format") or {}).get("tuned")
    return message(f"Fine-tune #{job.id}: chat, house format {_check_value('format', tuned_format)} tuned vs "
                   f"{_check_value('format', (checks.get('format') or {}).get('base'))} base", blocks)


def _kept_weights(training: dict) -> str:
    """Which weights were kept: the checkpoint with the best validation macro-F1 (lesson 3.3)."""
    best, ran = training.get("best_epoch"), training.get("epochs_run")
    if best is None:
        return "The last weights were kept (no validation split)."
    return f"Kept: the epoch with the best validation macro-F1 (epoch {best:g} of {ran or best:g} run)."


def _how_to_load(method: str | None) -> str:
    if method == "frozen":
        return ("The model is a sentence-embedding classifier: load it with "
                "`training.pooled.load(path)` (a `text-classification` pipeline).")
    return ("The model is saved with `save_pretrained` and loads with "
            "`pipeline(\"text-classification\", model=path)`.")


def worker_lost_message(job) -> dict:
    return {"text": f"⚠️ Fine-tune #{job.id} stopped: {job.error_message} You can start it again with `/finetune`."}


def report_message(report: dict, title: str) -> dict:
    """The data report, before any training: counts, then each problem with what to do."""
    if report.get("task") == "chat":
        tokens = report.get("tokens") or {}
        blocks = [section(f"*{escape(title)}*\n{report.get('records', 0)} conversations · {report.get('usable', 0)} "
                          f"usable · format `{escape(str(report.get('format')))}`"),
                  context(f"Tokens per conversation ({escape(str(tokens.get('counted', '')))}): median "
                          f"{tokens.get('median')}, longest {tokens.get('max')}; max length {report.get('max_length')}"
                          if tokens else "No usable conversations were found.")]
    else:
        classes = report.get("classes") or {}
        counts = ", ".join(f"{escape(str(k))}: {v}" for k, v in sorted(classes.items(), key=lambda kv: -kv[1])[:15])
        blocks = [section(f"*{escape(title)}*\n{report.get('rows', 0)} rows · {len(classes)} classes"
                          f" · text column `{escape(str(report.get('text_column')))}` · label column "
                          f"`{escape(str(report.get('label_column')))}`"),
                  context(("Class counts: " + counts)[:2900] if counts else "No classes found.")]
    problems = report.get("problems") or []
    icons = {"error": "⛔", "warning": "⚠️", "info": "ℹ️"}
    lines = [f"{icons.get(p.get('level'), '•')} {escape(p.get('message', ''))}\n      _What to do:_ {escape(p.get('fix', ''))}"
             for p in problems[:12]]
    if lines:
        blocks.append(section("\n".join(lines)[:2900]))
    verdict = "✅ Ready to train." if report.get("ok") else "⛔ Fix the errors above before training."
    blocks.append(context(verdict))
    return message(f"{title}: {'ready' if report.get('ok') else 'needs fixes'}", blocks)


def status_message(jobs, positions: dict[int, int]) -> dict:
    if not jobs:
        return message("No runs yet", [section("You have no fine-tune runs yet. Try `/finetune data=support_tickets`.")])
    lines = []
    for job in jobs:
        extra = f" · position {positions[job.id]}" if job.id in positions else ""
        if job.state == "running":
            extra = f" · {job.progress or 0:.0%}"
        acc = ((job.result or {}).get("metrics") or {}).get("accuracy")
        if isinstance(acc, (int, float)):
            extra += f" · accuracy {acc:.1%}"
        lines.append(f"{STATE_EMOJI.get(job.state, '')} *#{job.id}* {describe(job.request or {})} — {job.state}{extra}")
    return message("Your fine-tune runs", [section("*Your runs*\n" + "\n".join(lines)),
                                           context("Cancel one with `/finetune cancel <id>`.")])


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def request_modal(samples: list[str], models: list[str], private_metadata: str = "") -> dict:
    """`/finetune` alone: the request as a form, with defaults and a hint for each field."""
    sample_options = [_option(name, name) for name in samples] or [_option("support_tickets", "support_tickets")]
    methods = [_option("full — train every weight (best accuracy)", "full"),
               _option("frozen — train only the head (fastest)", "frozen"),
               _option("lora — small adapters (fast, little memory)", "lora")]
    return {
        "type": "modal", "callback_id": actions.REQUEST_MODAL, "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Fine-tune a model"},
        "submit": {"type": "plain_text", "text": "Start"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "data", "label": {"type": "plain_text", "text": "Data set"},
             "hint": {"type": "plain_text", "text": "A sample set. To use your own CSV, upload it in our DM."},
             "element": {"type": "static_select", "action_id": actions.INPUT_ACTION, "options": sample_options,
                         "initial_option": sample_options[0]}},
            {"type": "input", "block_id": "model", "label": {"type": "plain_text", "text": "Base model"},
             "hint": {"type": "plain_text", "text": "minilm is small and fast; it runs offline."},
             "element": {"type": "static_select", "action_id": actions.INPUT_ACTION,
                         "options": [_option(m, m) for m in models],
                         "initial_option": _option(models[0], models[0])}},
            {"type": "input", "block_id": "method", "label": {"type": "plain_text", "text": "Method"},
             "hint": {"type": "plain_text", "text": "Lessons 4.1 and 4.2 compare them."},
             "element": {"type": "radio_buttons", "action_id": actions.INPUT_ACTION, "options": methods,
                         "initial_option": methods[0]}},
            {"type": "input", "block_id": "epochs", "label": {"type": "plain_text", "text": "Epochs"},
             "hint": {"type": "plain_text", "text": "Passes over the data, 1-20. 3 is a good start."},
             "element": {"type": "number_input", "action_id": actions.INPUT_ACTION, "is_decimal_allowed": False,
                         "initial_value": "3", "min_value": "1", "max_value": "20"}},
            {"type": "input", "block_id": "lr", "optional": True,
             "label": {"type": "plain_text", "text": "Learning rate"},
             "hint": {"type": "plain_text", "text": "Leave empty for the method's default (5e-5 for full)."},
             "element": {"type": "plain_text_input", "action_id": actions.INPUT_ACTION,
                         "placeholder": {"type": "plain_text", "text": "5e-5"}}},
        ],
    }


def try_modal(job_id: int, label_names: list[str] | None = None, chat: bool = False) -> dict:
    hint = ("Labels: " + ", ".join(label_names))[:150] if label_names else "Type a text like the ones it learned from."
    if chat:
        hint = "Ask a question like the ones it learned from: the base model and the tuned one both answer."
    return {
        "type": "modal", "callback_id": actions.TRY_MODAL, "private_metadata": str(job_id),
        "title": {"type": "plain_text", "text": f"Try model #{job_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Ask both" if chat else "Predict"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "Text"},
                    "hint": {"type": "plain_text", "text": hint},
                    "element": {"type": "plain_text_input", "action_id": actions.INPUT_ACTION, "multiline": True,
                                "max_length": 2000}}],
    }


def prediction_modal(job_id: int, text: str, prediction: dict | None, error: str | None = None) -> dict:
    chat = bool(prediction and "tuned" in prediction)
    view = try_modal(job_id, chat=chat)
    if prediction is None and error is None:
        result = section("⏳ Predicting… (a chat model takes a little longer: it writes two answers)")
    elif error:
        result = section(f"⚠️ {escape(error)}")
    elif chat:
        result = {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Base model*\n{_answer(prediction.get('base', ''))}"},
            {"type": "mrkdwn", "text": f"*Tuned*\n{_answer(prediction.get('tuned', ''))}"}]}
    else:
        scores = prediction.get("scores") or []
        top = "\n".join(f"{escape(str(s['label']))}: {s['score']:.1%}" for s in scores[:5])
        result = section(f"*Prediction:* `{escape(str(prediction['label']))}` ({prediction['score']:.1%})\n{top}")
    view["blocks"] = [section(f"_You typed:_ {escape(text[:500])}"), result] + view["blocks"]
    return view


def upload_offer(name: str, file_id: str, owner: str) -> dict:
    """A learner dropped a file in our DM: check it, or fine-tune on it. `name` is escaped already."""
    return message(f"Got {name}. Check it or fine-tune on it?", [
        section(f"📄 Got *{name}*. What shall I do with it?"),
        actions_block(actions.CheckUpload(owner=owner, file=file_id).button("Check"),
                      actions.TrainOnUpload(owner=owner, file=file_id).button("Fine-tune on this file", style="primary")),
        context(f"Or type `/finetune upload={file_id} method=lora epochs=3` to choose the options.")])
