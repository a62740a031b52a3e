"""Settings: bad values stop start-up with one clear line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("env, variable", [
    ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
    ({"SLACK_API_URL": "not a url"}, "SLACK_API_URL"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ({"SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_SECRET"),
    ({"TUTOR_DRIP_TICK_SECONDS": "soon"}, "TUTOR_DRIP_TICK_SECONDS"),
    ({"TUTOR_ADMINS": "alice"}, "TUTOR_ADMINS"),
])
def test_bad_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    assert variable in str(raised.value)
    assert "\n" not in str(raised.value)


def test_defaults_and_normalisation(tmp_path):
    settings = load_settings({"TUTOR_DATA_DIR": str(tmp_path), "SLACK_API_URL": "http://127.0.0.1:9/api",
                              "DATABASE_URL": "postgres://u@h/db"})
    assert settings.api_url.endswith("/")
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert load_settings({"TUTOR_DATA_DIR": str(tmp_path)}).db_url.startswith("sqlite:///")


def test_run_without_secret_says_what_to_do_without_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(TUTOR_DATA_DIR=str(tmp_path), SLACK_BOT_TOKEN="xoxb-1")
    out = subprocess.run([sys.executable, "-m", "bot", "run", "--http"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "SLACK_SIGNING_SECRET" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_announce_channel_is_a_channel_id_and_a_bad_one_names_its_variable():
    from bot.config import ConfigError, load_settings

    assert load_settings({"TUTOR_ANNOUNCE_CHANNEL": "C0GENERAL"}).announce_channel == "C0GENERAL"
    assert load_settings({}).announce_channel is None
    with pytest.raises(ConfigError, match="^TUTOR_ANNOUNCE_CHANNEL="):
        load_settings({"TUTOR_ANNOUNCE_CHANNEL": "#general"})
