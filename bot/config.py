"""Settings from environment variables, checked once at start-up.

A bad or missing setting stops start-up with one line that names the variable (`ConfigError`),
never a traceback: the CLI prints `str(error)` and exits 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.admins import Admins, parse_admins
from training.data import hub_datasets_allowed

SLACK_API_DEFAULT = "https://slack.com/api/"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str = SLACK_API_DEFAULT
    data_dir: Path = Path(".tutor")
    database_url: str | None = None
    redis_url: str | None = None
    content_dir: Path | None = None
    admins: Admins = field(default_factory=Admins)
    drip_tick_seconds: float = 60.0
    drip_catchup_hours: float = 3.0
    drip_sending_timeout_seconds: float = 300.0
    log_level: str = "INFO"
    queue_name: str = "tutor"
    max_jobs_per_workspace: int = 10  # runs waiting or running in one workspace
    max_run_minutes: float = 60.0  # wall clock of one training run
    max_example_epochs: int = 2_000_000  # training rows x epochs of one run
    checks_per_minute: int = 6  # data checks per learner
    predictions_per_minute: int = 20  # "Try it" sentences per learner
    retention_days: float = 30.0  # `tutor gc` deletes runs, uploads and idempotency keys older than this
    tutor_index_dir: Path | None = None  # the tutor's course index (default: <data dir>/tutor-index)
    questions_per_minute: int = 6  # questions to the tutor per learner
    questions_channel: str | None = None  # where questions the course does not cover go (else the admins' DMs)
    llm_base_url: str | None = None  # an OpenAI-compatible endpoint: the tutor writes short answers (off: extractive)
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_seconds: float = 8.0
    announce_channel: str | None = None  # where challenges are announced (start, weekly, end); none: not posted

    @property
    def db_url(self) -> str:
        """The database URL in use: `DATABASE_URL`, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tutor.db').resolve()}"

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def index_dir(self) -> Path:
        return self.tutor_index_dir or self.data_dir / "tutor-index"

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)

    def require_slack(self) -> None:
        """Check what talking to Slack needs; raise ConfigError naming what is missing."""
        if not self.signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page."
            )
        if not self.oauth and not self.bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the "
                "Bot User OAuth Token (xoxb-...), or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth."
            )


def _number(env: dict, name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number: set it to something like {default:g}.") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} is too small: use {minimum:g} or more.")
    return value


_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def load_settings(env: dict | None = None) -> Settings:
    """Read and check every setting; raise ConfigError with a one-line message on the first bad one."""
    env = dict(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (not a user or app token).")
    app_token = get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).")
    api_url = get("SLACK_API_URL") or SLACK_API_DEFAULT
    if not _URL.match(api_url):
        raise ConfigError(f"SLACK_API_URL={api_url!r} is not an http(s) URL, e.g. https://slack.com/api/")
    if not api_url.endswith("/"):
        api_url += "/"
    database_url = get("DATABASE_URL")
    if database_url:
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://"):]
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            raise ConfigError(
                "DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
                "e.g. postgresql://user@host:5432/tutor"
            )
    redis_url = get("REDIS_URL")
    if redis_url and not re.match(r"^rediss?://", redis_url):
        raise ConfigError("REDIS_URL must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379/0")
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise ConfigError(f"{missing} is not set: OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.")
    try:
        admins = parse_admins(get("TUTOR_ADMINS"))
    except ValueError as error:
        raise ConfigError(f"TUTOR_ADMINS holds {error}.") from None
    level = (get("TUTOR_LOG_LEVEL") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("TUTOR_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR.")
    content_dir = get("TUTOR_CONTENT_DIR")
    try:
        hub_datasets_allowed(get("TUTOR_HUB_DATASETS") or "")
    except ValueError as error:
        raise ConfigError(f"TUTOR_HUB_DATASETS holds {error} (or `*` for any).") from None
    llm_url, llm_model = get("TUTOR_LLM_BASE_URL"), get("TUTOR_LLM_MODEL")
    if llm_url and not re.match(r"https?://[^/\s]+", llm_url):
        raise ConfigError(f"TUTOR_LLM_BASE_URL={llm_url!r} is not an http(s) URL, e.g. http://127.0.0.1:8000/v1")
    if bool(llm_url) != bool(llm_model):
        missing = "TUTOR_LLM_MODEL" if llm_url else "TUTOR_LLM_BASE_URL"
        raise ConfigError(f"{missing} is not set: generative answers need both TUTOR_LLM_BASE_URL and TUTOR_LLM_MODEL.")
    return Settings(
        bot_token=bot_token,
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=app_token,
        client_id=client_id,
        client_secret=client_secret,
        api_url=api_url,
        data_dir=Path(get("TUTOR_DATA_DIR") or ".tutor"),
        database_url=database_url,
        redis_url=redis_url,
        content_dir=Path(content_dir) if content_dir else None,
        admins=admins,
        drip_tick_seconds=_number(env, "TUTOR_DRIP_TICK_SECONDS", 60.0, 1.0),
        drip_catchup_hours=_number(env, "TUTOR_DRIP_CATCHUP_HOURS", 3.0, 0.0),
        drip_sending_timeout_seconds=_number(env, "TUTOR_DRIP_SENDING_TIMEOUT_SECONDS", 300.0, 1.0),
        log_level=level,
        max_jobs_per_workspace=int(_number(env, "TUTOR_MAX_JOBS_PER_WORKSPACE", 10, 1)),
        max_run_minutes=_number(env, "TUTOR_MAX_RUN_MINUTES", 60.0, 1.0),
        max_example_epochs=int(_number(env, "TUTOR_MAX_EXAMPLE_EPOCHS", 2_000_000, 1)),
        checks_per_minute=int(_number(env, "TUTOR_CHECKS_PER_MINUTE", 6, 1)),
        predictions_per_minute=int(_number(env, "TUTOR_PREDICTIONS_PER_MINUTE", 20, 1)),
        retention_days=_number(env, "TUTOR_RETENTION_DAYS", 30.0, 1.0),
        tutor_index_dir=Path(get("TUTOR_INDEX_DIR")) if get("TUTOR_INDEX_DIR") else None,
        questions_per_minute=int(_number(env, "TUTOR_QUESTIONS_PER_MINUTE", 6, 1)),
        questions_channel=_channel_id(get("TUTOR_QUESTIONS_CHANNEL")),
        llm_base_url=llm_url,
        llm_model=llm_model,
        llm_api_key=get("TUTOR_LLM_API_KEY"),
        llm_timeout_seconds=_number(env, "TUTOR_LLM_TIMEOUT_SECONDS", 8.0, 0.5),
        announce_channel=_channel_id(get("TUTOR_ANNOUNCE_CHANNEL"), "TUTOR_ANNOUNCE_CHANNEL"),
    )


def _channel_id(value: str | None, name: str = "TUTOR_QUESTIONS_CHANNEL") -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[CG][A-Z0-9]{2,20}", value):
        raise ConfigError(f"{name}={value!r} must be a channel id such as C0123ABCD (not a name).")
    return value
