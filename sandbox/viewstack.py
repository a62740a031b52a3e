"""Modal stacks and App Home views per person, shared by the Web API and the bot's ack responses.

A modal is a stack of up to three views (views.open starts it, views.push adds one, an empty
view_submission ack closes the top one, response_action "clear" closes all). App Home is one
view per person that views.publish replaces in place, keeping its id like Slack does.
"""

from __future__ import annotations

import copy
import secrets

from sandbox.messages import with_ids
from sandbox.people import APP_ID, BOT_ID
from sandbox.state import WorkspaceState

MAX_STACK = 3


class ViewError(Exception):
    """A Slack error code for a view operation (not_found, hash_conflict, push_limit_reached...)."""


def _materialise(state: WorkspaceState, view_id: str, view: dict, *, root: str | None,
                 previous: str | None) -> dict:
    record = copy.deepcopy(view)
    record["blocks"] = with_ids(record.get("blocks", []))
    record.update({
        "id": view_id,
        "team_id": state.team["id"],
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        "app_installed_team_id": state.team["id"],
        "state": {"values": {}},
        "hash": f"{state.ids.new_ts()}.{secrets.token_hex(4)}",
        "root_view_id": root or view_id,
        "previous_view_id": previous,
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
    })
    return record


def open_modal(state: WorkspaceState, user_id: str, view: dict) -> dict:
    """Start a new modal stack for the person, replacing whatever modal they had open."""
    with state.lock:
        view_id = state.ids.new_id("V")
        record = _materialise(state, view_id, view, root=None, previous=None)
        state.views[view_id] = record
        state.view_owner[view_id] = user_id
        state.modal_stacks[user_id] = [view_id]
    state.notify("view", {"action": "opened", "user": user_id, "view_id": view_id})
    return copy.deepcopy(record)


def push_modal(state: WorkspaceState, user_id: str, view: dict) -> dict:
    with state.lock:
        stack = state.modal_stacks.get(user_id) or []
        if not stack:
            raise ViewError("not_found")
        if len(stack) >= MAX_STACK:
            raise ViewError("push_limit_reached")
        view_id = state.ids.new_id("V")
        record = _materialise(state, view_id, view, root=stack[0], previous=stack[-1])
        state.views[view_id] = record
        state.view_owner[view_id] = user_id
        stack.append(view_id)
    state.notify("view", {"action": "pushed", "user": user_id, "view_id": view_id})
    return copy.deepcopy(record)


def find_view_id(state: WorkspaceState, view_id: str | None, external_id: str | None) -> str:
    with state.lock:
        if view_id:
            if view_id in state.views:
                return view_id
        elif external_id:
            for candidate in state.views.values():
                if candidate.get("external_id") == external_id:
                    return candidate["id"]
    raise ViewError("not_found")


def update_view(state: WorkspaceState, view_id: str, view: dict, expected_hash: str | None = None) -> dict:
    """Replace a view's content in place; a stale `hash` is rejected as Slack does."""
    with state.lock:
        current = state.views.get(view_id)
        if current is None:
            raise ViewError("not_found")
        if expected_hash and expected_hash != current["hash"]:
            raise ViewError("hash_conflict")
        record = _materialise(state, view_id, view, root=current["root_view_id"],
                              previous=current["previous_view_id"])
        state.views[view_id] = record
    state.notify("view", {"action": "updated", "user": state.view_owner.get(view_id), "view_id": view_id})
    return copy.deepcopy(record)


def publish_home(state: WorkspaceState, user_id: str, view: dict, expected_hash: str | None = None) -> dict:
    with state.lock:
        view_id = state.home_views.get(user_id)
        if view_id is None:
            view_id = state.ids.new_id("V")
        elif expected_hash and expected_hash != state.views[view_id]["hash"]:
            raise ViewError("hash_conflict")
        record = _materialise(state, view_id, view, root=None, previous=None)
        state.views[view_id] = record
        state.view_owner[view_id] = user_id
        state.home_views[user_id] = view_id
    state.notify("view", {"action": "published", "user": user_id, "view_id": view_id})
    return copy.deepcopy(record)


def close_top(state: WorkspaceState, user_id: str) -> None:
    with state.lock:
        stack = state.modal_stacks.get(user_id) or []
        if stack:
            stack.pop()
    state.notify("view", {"action": "closed", "user": user_id})


def clear_modals(state: WorkspaceState, user_id: str) -> None:
    with state.lock:
        state.modal_stacks[user_id] = []
    state.notify("view", {"action": "cleared", "user": user_id})


def set_state_values(state: WorkspaceState, view_id: str, values: dict) -> dict:
    """Record what the person typed or picked (as the view's `state.values`)."""
    with state.lock:
        record = state.views[view_id]
        record["state"] = {"values": copy.deepcopy(values)}
        return copy.deepcopy(record)
