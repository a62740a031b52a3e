"""The request bodies Slack sends to an app: slash commands, interactivity payloads, events.

Shapes follow Slack's documented payloads field for field (Bolt routes on them: `type`,
`actions[].action_id`, `view.callback_id`, `event.type`...). Builders here only shape data; sending
and signing live in `delivery`.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sandbox.people import APP_ID, BOT_USER_ID
from sandbox.state import WorkspaceState, public_message


def _user_ref(state: WorkspaceState, user_id: str) -> dict:
    person = state.person(user_id)
    name = person["name"] if person else user_id
    return {"id": user_id, "username": name, "name": name, "team_id": state.team["id"]}


def _team_ref(state: WorkspaceState) -> dict:
    return {"id": state.team["id"], "domain": state.team["domain"]}


def _channel_name(state: WorkspaceState, channel_id: str) -> str:
    channel = state.channel(channel_id) or {}
    return "directmessage" if channel.get("is_im") else channel.get("name", channel_id)


def slack_escape(text: str) -> str:
    """Slack sends what people type with &, < and > as HTML entities (its control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def new_trigger(state: WorkspaceState, user_id: str) -> str:
    trigger_id = state.ids.new_trigger_id()
    with state.lock:
        state.triggers[trigger_id] = {"user": user_id, "created": time.monotonic(), "used": False}
    return trigger_id


def form_body(fields: dict) -> bytes:
    return urlencode(fields).encode("utf-8")


def payload_body(payload: dict) -> bytes:
    """Interactivity goes as one form field, `payload`, holding JSON."""
    return form_body({"payload": json.dumps(payload)})


def slash_command(state: WorkspaceState, user_id: str, command: str, text: str, channel_id: str,
                  response_url: str, trigger_id: str) -> dict:
    person = state.person(user_id)
    return {
        "token": state.verification_token,
        "team_id": state.team["id"],
        "team_domain": state.team["domain"],
        "channel_id": channel_id,
        "channel_name": _channel_name(state, channel_id),
        "user_id": user_id,
        "user_name": person["name"] if person else user_id,
        "command": command,
        "text": slack_escape(text),
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(state: WorkspaceState, user_id: str, action: dict, *, trigger_id: str,
                  message: dict | None = None, view: dict | None = None,
                  response_url: str | None = None) -> dict:
    """A click or pick on a message (with its channel and, unless ephemeral, the message) or a view."""
    payload = {
        "type": "block_actions",
        "user": _user_ref(state, user_id),
        "api_app_id": APP_ID,
        "token": state.verification_token,
        "trigger_id": trigger_id,
        "team": _team_ref(state),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if message is not None:
        channel_id = message["channel"]
        payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": channel_id,
                                "is_ephemeral": bool(message.get("is_ephemeral"))}
        payload["channel"] = {"id": channel_id, "name": _channel_name(state, channel_id)}
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
        if not message.get("is_ephemeral"):
            payload["message"] = public_message(message)
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
    return payload


def action_entry(block: dict, element: dict, **selection: object) -> dict:
    """One `actions[]` item as Slack reports it for the element that was used."""
    entry = {
        "action_id": element.get("action_id"),
        "block_id": block.get("block_id"),
        "type": element.get("type"),
        "action_ts": f"{time.time():.6f}",
    }
    if element.get("type") == "button":
        entry["text"] = element.get("text")
        if "value" in element:
            entry["value"] = element["value"]
        if element.get("style"):
            entry["style"] = element["style"]
    entry.update({key: value for key, value in selection.items() if value is not None})
    return entry


def view_submission(state: WorkspaceState, user_id: str, view: dict, trigger_id: str) -> dict:
    return {
        "type": "view_submission",
        "team": _team_ref(state),
        "user": _user_ref(state, user_id),
        "api_app_id": APP_ID,
        "token": state.verification_token,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed(state: WorkspaceState, user_id: str, view: dict, is_cleared: bool) -> dict:
    return {
        "type": "view_closed",
        "team": _team_ref(state),
        "user": _user_ref(state, user_id),
        "api_app_id": APP_ID,
        "token": state.verification_token,
        "view": view,
        "is_cleared": is_cleared,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def event_callback(state: WorkspaceState, event: dict) -> dict:
    """The Events API envelope around one event."""
    return {
        "token": state.verification_token,
        "team_id": state.team["id"],
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": state.ids.new_id("Ev") + state.team["id"][-4:],  # unique across workspaces, as Slack's are
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": state.team["id"], "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-{state.ids.new_id('ctx')}",
    }


def url_verification(state: WorkspaceState, challenge: str) -> dict:
    return {"token": state.verification_token, "challenge": challenge, "type": "url_verification"}


def selection_state(element: dict, value: object) -> dict:
    """What `state.values[block][action]` holds for an input element given a simple value.

    Strings pick by option value for selects, radios and checkboxes (a list for multi-choice),
    "HH:MM" for timepickers, "YYYY-MM-DD" for datepickers; text inputs hold the string.
    """
    kind = element.get("type")
    entry: dict = {"type": kind}
    options = {o.get("value"): o for o in _all_options(element)}
    if kind in ("static_select", "radio_buttons", "external_select", "overflow"):
        entry["selected_option"] = options.get(value) if value is not None else None
        if value is not None and entry["selected_option"] is None:
            raise ValueError(f"no option with value {value!r} in {element.get('action_id')}")
    elif kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        chosen = list(value or [])
        missing = [v for v in chosen if v not in options]
        if missing:
            raise ValueError(f"no options {missing!r} in {element.get('action_id')}")
        entry["selected_options"] = [options[v] for v in chosen]
    elif kind == "timepicker":
        entry["selected_time"] = value
    elif kind == "datepicker":
        entry["selected_date"] = value
    elif kind == "users_select":
        entry["selected_user"] = value
    elif kind in ("conversations_select", "channels_select"):
        entry["selected_conversation" if kind == "conversations_select" else "selected_channel"] = value
    elif kind in ("multi_users_select",):
        entry["selected_users"] = list(value or [])
    else:
        entry["value"] = None if value is None else str(value)
    return entry


def _all_options(element: dict) -> list[dict]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def initial_value(element: dict) -> object:
    """The value an input shows before the person touches it (Slack submits it as-is)."""
    for key in ("initial_value", "initial_time", "initial_date", "initial_user", "initial_conversation"):
        if key in element:
            return element[key]
    if "initial_option" in element:
        return element["initial_option"].get("value")
    if "initial_options" in element:
        return [o.get("value") for o in element["initial_options"]]
    return None
