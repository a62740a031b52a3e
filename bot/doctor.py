"""`tutor doctor`: each check returns (ok, name, what was found or what to fix)."""

from __future__ import annotations

from typing import Iterator

from bot.config import ConfigError, load_settings


def run_checks(env) -> Iterator[tuple[bool, str, str]]:
    try:
        settings = load_settings(env)
    except ConfigError as error:
        yield False, "configuration", str(error)
        return
    yield True, "configuration", "environment variables parse"
    try:
        settings.require_slack()
        yield True, "Slack settings", "OAuth" if settings.oauth else "single workspace (bot token)"
    except ConfigError as error:
        yield False, "Slack settings", str(error)
    try:
        from sqlalchemy import text

        from bot.store import Database

        database = Database(settings.db_url)
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database.upgrade()
        yield True, "database", f"{database.engine.dialect.name} reachable, schema up to date"
    except Exception as error:
        yield False, "database", f"cannot use DATABASE_URL ({type(error).__name__}: {str(error)[:120]})"
    try:
        if settings.redis_url:
            import redis

            redis.Redis.from_url(settings.redis_url).ping()
            yield True, "queue", "Redis answers"
        else:
            from bot.queue import make_huey

            make_huey(settings, "train").pending_count()
            yield True, "queue", f"SQLite queue in {settings.data_dir}"
    except Exception as error:
        yield False, "queue", f"the job queue is not reachable ({type(error).__name__}); check REDIS_URL"
    try:
        from bot.course.loader import default_content_dir, load_course, validate_content

        problems = validate_content(settings.content_dir)
        if problems:
            yield False, "course content", f"{len(problems)} problems: run `tutor lessons validate`"
        else:
            yield True, "course content", f"{len(load_course(settings.content_dir or default_content_dir()))} lessons valid"
    except Exception as error:
        yield False, "course content", f"cannot load ({type(error).__name__})"
    if settings.bot_token:
        try:
            from bot.slack import make_client

            response = make_client(settings.api_url, settings.bot_token).auth_test()
            yield True, "Slack token", f"works for team {response.get('team')} as {response.get('user')}"
        except Exception as error:
            response = getattr(error, "response", None)
            reason = response.get("error") if response is not None else type(error).__name__
            yield False, "Slack token", f"auth.test failed ({reason}): check SLACK_BOT_TOKEN and SLACK_API_URL"
    try:
        import importlib.util

        found = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None
        yield found, "trainer packages", "torch and transformers installed" if found else "install the train extra: pip install -e '.[train]'"
    except Exception:
        yield False, "trainer packages", "install the train extra"
