"""JSON endpoints for the browser UI: read the workspace, and act as a person in it.

GET  workspace | messages?channel=&user= | journal?method=&kind=&after= | views?user= | commands
POST slash {user, command, text, channel} | click {user, channel, ts | view_id, action_id, block_id, value}
     select {..., value} | pick_time {..., time} | submit {user, view_id, values} | close {user}
     home {user} | dm {user, text} | say {user, channel, text} | upload?user=&name=&channel= (raw bytes)
     bot_url {url}
GET  /ui/files/<file_id>/<name> (served by `server`): a file's bytes for the page, loopback only.
Actions answer with a summary of the delivery to the bot ({kind, status, body, json, latency, error}).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sandbox.delivery import Delivery
from sandbox.people import user_object

if TYPE_CHECKING:
    from sandbox.server import SandboxServer


def summary(delivery: Delivery | None) -> dict | None:
    if delivery is None:
        return None
    return {"kind": delivery.kind, "status": delivery.status, "body": delivery.body, "json": delivery.json,
            "latency": delivery.latency, "error": delivery.error}


def handle(sandbox: "SandboxServer", verb: str, route: str, query: dict, body: bytes) -> tuple[int, Any]:
    try:
        if verb == "GET" and route in _READS:
            return 200, _READS[route](sandbox, query)
        if verb == "POST" and route == "upload":
            return 200, _upload(sandbox, query, body)
        if verb == "POST" and route in _ACTIONS:
            args = json.loads(body.decode("utf-8") or "{}")
            return 200, _ACTIONS[route](sandbox, args)
    except (LookupError, ValueError, TypeError, RuntimeError) as exc:
        return 400, {"ok": False, "error": str(exc)}
    return 404, {"ok": False, "error": "not_found"}


def _workspace(sandbox: "SandboxServer", query: dict) -> dict:
    snapshot = sandbox.state.snapshot(["team", "people", "channels"])
    return {"ok": True, "team": snapshot["team"], "bot_url": sandbox.deliverer.bot_url,
            "users": [user_object(p) for p in snapshot["people"].values()],
            "channels": list(snapshot["channels"].values())}


def _messages(sandbox: "SandboxServer", query: dict) -> dict:
    channel = sandbox.state.resolve_channel(query["channel"]) if query.get("channel") else None
    return {"ok": True, "messages": sandbox.state.list_messages(channel, query.get("user"))}


def _journal(sandbox: "SandboxServer", query: dict) -> dict:
    after = int(query.get("after") or 0)
    entries = sandbox.state.journal(query.get("method"), query.get("kind"), lambda e: e["seq"] > after)
    return {"ok": True, "entries": entries}


def _views(sandbox: "SandboxServer", query: dict) -> dict:
    user = query["user"]
    return {"ok": True, "modals": sandbox.state.open_views(user), "home": sandbox.state.home_view(user)}


def _target(args: dict) -> Any:
    if args.get("view_id"):
        return args["view_id"]
    return {"channel": args["channel"], "ts": args["ts"]}


def _upload(sandbox: "SandboxServer", query: dict, body: bytes) -> dict:
    file, deliveries = sandbox.interactions.upload_file(query["user"], query["name"], body, query.get("channel"))
    return {"ok": True, "file": file, "deliveries": [summary(d) for d in deliveries]}


MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def slash_commands(manifest: Path = MANIFEST) -> list[dict]:
    """The app's slash commands as the manifest declares them, for the composer's autocomplete.

    Read on each request so an edited manifest shows at once; no manifest (an installed wheel) means
    no suggestions, not an error: commands typed by hand still go to the bot."""
    if not manifest.is_file():
        return []
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    commands = (data.get("features") or {}).get("slash_commands") or []
    return [{"command": c.get("command", ""), "description": c.get("description", ""),
             "usage_hint": c.get("usage_hint", "")} for c in commands if isinstance(c, dict)]


def _commands(sandbox: "SandboxServer", query: dict) -> dict:
    return {"ok": True, "commands": slash_commands()}


def _say(sandbox: "SandboxServer", args: dict) -> dict:
    """A person writes in a channel (or a thread of it); a mention of the bot is an `app_mention`."""
    user, text = args["user"], args["text"]
    if sandbox.state.person(user) is None:
        raise LookupError(f"no user {user!r} in the sandbox")
    channel_id = sandbox.state.resolve_channel(args.get("channel") or "")
    if channel_id is None:
        raise ValueError(f"unknown channel {args.get('channel')!r}")
    stored, delivery = sandbox.interactions.say(user, channel_id, text, args.get("thread_ts") or None)
    return {"ok": True, "channel": channel_id, "ts": stored["ts"], **(summary(delivery) or {})}


def file_for_page(sandbox: "SandboxServer", file_id: str) -> tuple[dict, bytes] | None:
    """A file's record and bytes, for the page's <img> and download links (no token in a browser)."""
    with sandbox.state.lock:
        record = sandbox.state.files.get(file_id)
        data = sandbox.state.file_bytes.get(file_id)
    if record is None or data is None:
        return None
    return dict(record), data


def _set_bot_url(sandbox: "SandboxServer", args: dict) -> dict:
    sandbox.deliverer.bot_url = args.get("url") or None
    return {"ok": True, "bot_url": sandbox.deliverer.bot_url}


_READS = {"workspace": _workspace, "messages": _messages, "journal": _journal, "views": _views,
          "commands": _commands}
_ACTIONS = {
    "slash": lambda s, a: summary(s.interactions.slash(a["user"], a["command"], a.get("text", ""),
                                                       a.get("channel"))),
    "click": lambda s, a: summary(s.interactions.click(a["user"], _target(a), a.get("action_id"),
                                                       a.get("value"), a.get("block_id"))),
    "select": lambda s, a: summary(s.interactions.select(a["user"], _target(a), a["action_id"], a["value"],
                                                         a.get("block_id"))),
    "pick_time": lambda s, a: summary(s.interactions.pick_time(a["user"], _target(a), a["action_id"],
                                                               a["time"], a.get("block_id"))),
    "submit": lambda s, a: summary(s.interactions.submit_view(a["user"], a["view_id"], a.get("values"))),
    "close": lambda s, a: summary(s.interactions.close_view(a["user"])),
    "home": lambda s, a: summary(s.interactions.open_home(a["user"])),
    "dm": lambda s, a: summary(s.interactions.send_dm(a["user"], a["text"], a.get("thread_ts") or None)),
    "say": _say,
    "bot_url": _set_bot_url,
}
