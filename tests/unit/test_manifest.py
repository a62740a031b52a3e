"""manifest.yml against Slack's own JSON Schema, and against what the bot actually registers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT.parent / "shared" / "slack" / "manifest-schema"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def _validator(major: int):
    if not SCHEMA_DIR.is_dir():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA_DIR}")
    path = SCHEMA_DIR / "schemas" / f"manifest.schema.{major}.0.0.json"
    schema = json.loads(path.read_text())
    return jsonschema.Draft7Validator(schema)


def test_manifest_is_valid_against_slacks_schema(manifest):
    major = (manifest.get("_metadata") or {}).get("major_version", 1)
    errors = sorted(_validator(major).iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_rejects_a_broken_manifest(manifest):
    broken = dict(manifest, display_information={"name": ""})
    assert list(_validator(1).iter_errors(broken))


def test_manifest_matches_the_bot(manifest):
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/lesson", "/progress", "/finetune"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) >= {"app_home_opened", "message.im", "app_mention", "file_shared"}
    from bot.app import BOT_SCOPES

    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert manifest["features"]["app_home"]["home_tab_enabled"] and manifest["features"]["app_home"]["messages_tab_enabled"]
