"""No Docker engine runs here: check that the container files parse and that every command they run exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTIONS = {"FROM", "ARG", "WORKDIR", "RUN", "ENV", "COPY", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "CMD"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if raw.strip().startswith("#") or not raw.strip():
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            lines.append((word, rest))
            current = ""
    return lines


def tutor_command_exists(argv: list[str]) -> None:
    """Run `tutor <argv...> --help`: a missing command or option fails."""
    assert argv[0] == "tutor", argv
    words = [a for a in argv[1:] if not a.startswith("-") and not a.isdigit()]
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, (argv, result.output)
    for option in (a for a in argv[1:] if a.startswith("--")):
        assert option in result.output, f"{option} is not an option of {words}"


def test_dockerfile_parses_and_is_multi_stage_non_root_with_healthcheck():
    instructions = dockerfile_instructions()
    words = [w for w, _ in instructions]
    assert set(words) <= INSTRUCTIONS, set(words) - INSTRUCTIONS
    assert words.count("FROM") >= 2
    assert any(w == "USER" and rest.strip() != "root" for w, rest in instructions)
    assert "HEALTHCHECK" in words
    copies = [rest.split()[0] for w, rest in instructions if w == "COPY" and not rest.startswith("--from")]
    for source in copies:
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_dockerfile_cmd_is_a_real_command():
    cmd = next(rest for w, rest in dockerfile_instructions() if w == "CMD")
    tutor_command_exists(json.loads(cmd))


def test_compose_services_run_real_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"bot", "worker", "postgres", "redis"} <= set(compose["services"])
    for name, service in compose["services"].items():
        command = service.get("command")
        if command and command[0] == "tutor":
            tutor_command_exists(command)


@pytest.mark.parametrize("argv", [[], ["sandbox"], ["run"], ["worker"], ["db"], ["db", "upgrade"], ["doctor"],
                                  ["lessons"], ["lessons", "validate"], ["finetune"]])
def test_every_command_has_help(argv):
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output, result.output


def test_compose_holds_no_credentials_and_redis_needs_a_password():
    """Issue 13, item 9: Huey unpickles tasks from Redis, so Redis needs a password; the database password
    comes from .env, never from this file."""
    text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert "${POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert "--requirepass" in " ".join(services["redis"]["command"])
    for name in ("migrate", "bot", "worker"):
        env = services[name]["environment"]
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")
        assert ":${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert "tutor:tutor@" not in text
