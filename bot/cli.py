"""The `tutor` command line (also `python -m bot`)."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import click

from bot.config import ConfigError, Settings, load_settings
from bot.processes import stop_process


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("slack_bolt", "alembic", "huey"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Finetune Tutor: a Slack app that teaches fine-tuning and runs real fine-tunes from the chat.

    Start with `tutor sandbox` (no Slack needed), then `tutor run` against your workspace.
    """


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env)


def _wait_forever(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


@cli.command()
@click.option("--port", default=8800, show_default=True, help="Port of the sandbox page and its Web API.")
@click.option("--bot-port", default=3000, show_default=True, help="Port of the bot's /slack/events.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the sandbox page: loopback only (it has no login) unless --public.")
@click.option("--public", is_flag=True, help="Allow a non-loopback --host: anyone who reaches the port drives the sandbox.")
@click.option("--no-worker", is_flag=True, help="Do not start a training worker (fine-tunes then wait in the queue).")
@click.option("--socket-mode", is_flag=True,
              help="Connect the bot over Socket Mode (a WebSocket it opens) instead of HTTP to /slack/events.")
def sandbox(port: int, bot_port: int, host: str, public: bool, no_worker: bool, socket_mode: bool) -> None:
    """The demo: a local Slack-compatible workspace, the bot and a worker. No credentials needed."""
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI
    from sandbox.__main__ import PUBLIC_WARNING
    from sandbox.driver import Workspace

    base = load_settings({k: v for k, v in os.environ.items() if k == "TUTOR_DATA_DIR"} or {})
    data_dir = Path(os.environ.get("TUTOR_DATA_DIR") or ".tutor/sandbox")
    secret, token = secrets.token_hex(16), "xoxb-sandbox-" + secrets.token_hex(8)
    if public:
        click.echo(PUBLIC_WARNING, err=True)
    try:
        workspace = Workspace(signing_secret=secret, bot_token=token, host=host, port=port, public=public,
                              bot_url=f"http://127.0.0.1:{bot_port}/slack/events")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    workspace.start()
    app_token = "xapp-1-sandbox-" + secrets.token_hex(8) if socket_mode else None
    if app_token:  # Slack asks for a fresh connection every few hours; the demo does it hourly
        workspace.use_socket_mode(app_token, refresh_every=3600.0)
    settings = base.with_overrides(bot_token=token, signing_secret=secret, api_url=workspace.api_url,
                                   data_dir=data_dir, drip_tick_seconds=10.0, app_token=app_token)
    _logging(settings.log_level)
    runtime = BotRuntime(settings).start()
    runtime.prepare_for_traffic()
    if app_token:
        from bot import socket_mode

        handler = socket_mode.connect(runtime.app, app_token)
        server = SimpleNamespace(stop=lambda: socket_mode.close(handler))
    else:
        server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=bot_port).start()
    worker = None
    if not no_worker:
        env = dict(os.environ, SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=secret, SLACK_API_URL=workspace.api_url,
                   TUTOR_DATA_DIR=str(data_dir))
        worker = _start_worker(env)
    click.echo(f"\n  Finetune Tutor sandbox is running{' in Socket Mode' if app_token else ''}: open {workspace.url}\n"
               f"  Type /lesson in the composer. Data in {data_dir}. Ctrl-C stops everything.\n")
    stop = threading.Event()
    try:
        _wait_forever(stop)
    finally:
        if worker:
            stop_process(worker, timeout=10)
        server.stop()
        runtime.stop()
        workspace.stop()


@cli.command()
@click.option("--http", "http_mode", is_flag=True, help="Serve Slack's requests over HTTP even if SLACK_APP_TOKEN is set.")
@click.option("--port", default=3000, show_default=True, envvar="PORT", help="HTTP port for /slack/events.")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--no-worker", is_flag=True, help="Run no embedded worker (run `tutor worker` elsewhere).")
def run(http_mode: bool, port: int, host: str, no_worker: bool) -> None:
    """The bot against Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at /slack/events."""
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI

    settings = _settings()
    try:
        settings.require_slack()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    _logging(settings.log_level)
    runtime = BotRuntime(settings).start()
    runtime.prepare_for_traffic()
    worker = None if no_worker else _start_worker(dict(os.environ))
    stop = threading.Event()
    try:
        if settings.app_token and not http_mode:
            from bot import socket_mode

            handler = socket_mode.connect(runtime.app, settings.app_token)
            click.echo("Connected to Slack in Socket Mode. Ctrl-C stops.")
            _wait_forever(stop)
            socket_mode.close(handler)
        else:
            server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host=host, port=port).start()
            click.echo(f"Serving Slack requests at {server.url}/slack/events (health: /healthz). Ctrl-C stops.")
            _wait_forever(stop)
            server.stop()
    finally:
        if worker:
            stop_process(worker, timeout=10)
        runtime.stop()


@cli.command()
def worker() -> None:
    """A training worker alone (scale-out): runs queued fine-tunes and "Try it" predictions."""
    from bot.composition import build_queues

    settings = _settings()
    if not settings.bot_token and not settings.oauth:
        raise click.ClickException("SLACK_BOT_TOKEN is not set: the worker posts progress and results to Slack.")
    _logging(settings.log_level)
    build_queues(settings).consume()


@cli.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply migrations up to the newest (safe to run again)."""
    from bot.store import Database

    settings = _settings()
    database = Database(settings.db_url)
    database.upgrade()
    click.echo(f"Database at {_redact(settings.db_url)} is up to date.")


def _redact(url: str) -> str:
    import re

    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


@cli.command()
@click.option("--days", type=float, default=None, help="Keep this many days (default: TUTOR_RETENTION_DAYS, 30).")
def gc(days: float | None) -> None:
    """Delete old runs (models, plots), uploads and idempotency keys; run it daily (e.g. from cron)."""
    from bot.clock import Clock
    from bot.services.retention import collect_garbage
    from bot.store import Database

    settings = _settings()
    if days is not None and days < 1:
        raise click.ClickException("--days must be 1 or more.")
    database = Database(settings.db_url)
    done = collect_garbage(settings, database, Clock(), days)
    click.echo(f"Deleted {done.runs} run folder(s), {done.uploads} upload(s) and {done.requests} "
               f"idempotency key(s) older than {settings.retention_days if days is None else days:g} days.")


@cli.command()
def doctor() -> None:
    """Check configuration, database, queue, content and Slack credentials; say what to fix."""
    from bot.doctor import run_checks

    problems = 0
    for ok, name, detail in run_checks(os.environ):
        click.echo(f"{'✓' if ok else '✗'} {name}: {detail}")
        problems += 0 if ok else 1
    if problems:
        raise click.ClickException(f"{problems} check(s) failed; fix them and run `tutor doctor` again.")


@cli.command()
@click.argument("question")
@click.option("--lesson", "lesson_id", default=None, help="Prefer this lesson (a question asked under it).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line: in_scope, answer, citations.")
def ask(question: str, lesson_id: str | None, as_json: bool) -> None:
    """Ask the tutor a question about the course, as a learner would in Slack."""
    import json

    from bot.course.loader import default_content_dir
    from bot.tutor.answer import open_tutor

    settings = _settings()
    tutor = open_tutor(settings.content_dir or default_content_dir(), settings.index_dir)
    if lesson_id and lesson_id not in tutor.titles:
        raise click.ClickException(f"no lesson {lesson_id!r}; `tutor lessons list` shows them")
    answer = tutor.ask(question, lesson=lesson_id)
    if settings.llm_base_url:  # the same generated answer as in Slack (extractive on any failure)
        from bot.tutor.llm import writer_for

        answer = writer_for(settings).write(question, answer)
    if not as_json:
        click.echo(answer.text)
        for citation in answer.citations:
            click.echo(f"  [{citation.score:.2f}] {citation.label()}")
        return
    click.echo(json.dumps(answer.to_json(), ensure_ascii=False))


@cli.group()
def runs() -> None:
    """Learners' fine-tune runs."""


@runs.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--team", "team_id", default=None, help="Only this workspace's runs (a team id).")
@click.option("--user", "user_id", default=None, help="Only this learner's runs (a user id; needs --team).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.option("--mlflow", "mlflow_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Log the runs into an MLflow store in this folder instead (needs the `mlflow` extra).")
def runs_export(fmt: str, team_id: str | None, user_id: str | None, out: Path | None, mlflow_dir: Path | None) -> None:
    """Every run (oldest first) as CSV or JSON lines, or into MLflow, for tracking experiments elsewhere."""
    from sqlalchemy import select

    from bot.runs_export import export, mlflow_uri, record, to_mlflow
    from bot.store import Database
    from bot.store.models import FinetuneJob

    if user_id and not team_id:
        raise click.ClickException("--user needs --team: user ids are per workspace.")
    database = Database(_settings().db_url)
    query = select(FinetuneJob).order_by(FinetuneJob.id)
    if team_id:
        query = query.where(FinetuneJob.team_id == team_id)
    if user_id:
        query = query.where(FinetuneJob.user_id == user_id)
    try:
        with database.session() as session:
            jobs = list(session.scalars(query))
            text = None if mlflow_dir else export(jobs, fmt)
            records = [record(job) for job in jobs] if mlflow_dir else []
    finally:
        database.dispose()
    if mlflow_dir:
        try:
            logged = to_mlflow(records, mlflow_dir)
        except ImportError:
            raise click.ClickException("MLflow is not installed: pip install 'finetune-tutor[mlflow]'") from None
        click.echo(f"Logged {logged} run(s) to the MLflow store in {mlflow_dir} "
                   f"(see them with: mlflow ui --backend-store-uri {mlflow_uri(mlflow_dir)}).", err=True)
        return
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the runs to {out}.", err=True)


def _add_subcommands() -> None:
    from bot.course.cli import lessons
    from bot.finetune_cli import finetune

    cli.add_command(lessons)
    cli.add_command(finetune)


_add_subcommands()


def main() -> None:
    cli(prog_name="tutor")
