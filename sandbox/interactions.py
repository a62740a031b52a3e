"""What a person does in the workspace, turned into Slack's requests to the bot.

Both the Python driver and the browser UI's JSON endpoints call these, so a click in the browser
and a click in a test take the same path: build the payload, deliver it signed, and apply what the
bot's ack says (an ephemeral reply to a slash command, a view_submission `response_action`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox import payloads, viewstack
from sandbox.blockkit import check_view
from sandbox.delivery import FORM, JSON, Deliverer, Delivery
from sandbox.messages import bot_message, find_element, user_message
from sandbox.people import GENERAL_CHANNEL
from sandbox.responseurls import new_response_url
from sandbox.state import WorkspaceState
from sandbox.webapi import store_file


class Interactions:
    def __init__(self, state: WorkspaceState, deliverer: Deliverer) -> None:
        self.state = state
        self.deliverer = deliverer

    # ----- slash commands ---------------------------------------------------------------------
    def slash(self, user: str, command: str, text: str = "", channel: str | None = None,
              **signing: Any) -> Delivery:
        """Type `/command text` in a channel (default #general); an ack with text/blocks shows as
        an ephemeral reply, or an in-channel one with `response_type: in_channel`."""
        self._person(user)
        if not command.startswith("/"):
            command = "/" + command
        channel_id = self.state.resolve_channel(channel or GENERAL_CHANNEL["id"])
        if channel_id is None:
            raise ValueError(f"unknown channel {channel!r}")
        response_url = new_response_url(self.state, channel_id, user)
        trigger_id = payloads.new_trigger(self.state, user)
        fields = payloads.slash_command(self.state, user, command, text, channel_id, response_url, trigger_id)
        delivery = self.deliverer.send("slash_command", fields, payloads.form_body(fields), FORM, **signing)
        delivery.extra.update({"trigger_id": trigger_id, "response_url": response_url, "channel": channel_id})
        if delivery.ok:
            self._show_ack_reply(delivery, channel_id, user)
        return delivery

    def _show_ack_reply(self, delivery: Delivery, channel_id: str, user: str) -> None:
        answer = delivery.json
        if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            record = bot_message(answer.get("text"), answer.get("blocks"))
            in_channel = answer.get("response_type") == "in_channel"
        elif delivery.body.strip() and answer is None:
            record, in_channel = bot_message(delivery.body.strip(), None), False
        else:
            return
        if not in_channel:
            record.update({"is_ephemeral": True, "visible_to": user})
        delivery.extra["reply"] = self.state.add_message(channel_id, record)

    # ----- block actions ----------------------------------------------------------------------
    def click(self, user: str, target: Any, action_id: str | None = None, value: str | None = None,
              block_id: str | None = None, **signing: Any) -> Delivery:
        """Press a button (found by action_id and/or block_id) in a message or a view."""
        return self._act(user, target, action_id, block_id, {"value": value} if value is not None else {},
                         **signing)

    def select(self, user: str, target: Any, action_id: str, value: Any, block_id: str | None = None,
               **signing: Any) -> Delivery:
        """Pick an option (by its value) in a select, radio group, overflow or checkboxes."""
        return self._act(user, target, action_id, block_id, {"choice": value}, **signing)

    def pick_time(self, user: str, target: Any, action_id: str, hhmm: str, block_id: str | None = None,
                  **signing: Any) -> Delivery:
        return self._act(user, target, action_id, block_id, {"choice": hhmm}, **signing)

    def _act(self, user: str, target: Any, action_id: str | None, block_id: str | None,
             chosen: dict, **signing: Any) -> Delivery:
        self._person(user)
        if action_id is None and block_id is None:
            raise ValueError("give an action_id or a block_id")
        message, view = self._target(target)
        blocks = (message or view).get("blocks") or []
        found = find_element(blocks, action_id, block_id)
        if found is None:
            raise LookupError(f"no element with action_id={action_id!r} block_id={block_id!r}")
        block, element = found
        selection: dict = {}
        if "choice" in chosen:
            selection = payloads.selection_state(element, chosen["choice"])
            selection.pop("type")
        entry = payloads.action_entry(block, element, **selection)
        if "value" in chosen:
            entry["value"] = chosen["value"]
        trigger_id = payloads.new_trigger(self.state, user)
        response_url = None
        if message is not None:
            response_url = new_response_url(self.state, message["channel"], user, message["ts"])
        payload = payloads.block_actions(self.state, user, entry, trigger_id=trigger_id, message=message,
                                         view=view, response_url=response_url)
        delivery = self.deliverer.send("block_actions", payload, payloads.payload_body(payload), FORM,
                                       **signing)
        delivery.extra.update({"trigger_id": trigger_id, "response_url": response_url})
        return delivery

    def _target(self, target: Any) -> tuple[dict | None, dict | None]:
        """(message, view) for a stored message, a view, a view id or a message ts — re-read fresh."""
        if isinstance(target, dict) and "ts" in target and "channel" in target:
            found = self.state.find_message(target["channel"], target["ts"])
            if found is None:
                raise LookupError(f"message {target['ts']} is gone")
            return found, None
        view_id = target.get("id") if isinstance(target, dict) else target
        if isinstance(view_id, str) and self.state.view(view_id) is not None:
            return None, self.state.view(view_id)
        if isinstance(target, str):
            for record in self.state.list_messages():
                if record["ts"] == target:
                    return record, None
        raise LookupError(f"cannot find a message or view for {target!r}")

    # ----- views ------------------------------------------------------------------------------
    def submit_view(self, user: str, view: Any, values: dict | None = None, **signing: Any) -> Delivery:
        """Press Submit on an open modal; `values` is {block_id: {action_id: value}} (or
        {block_id: value} for a one-element input). Untouched inputs submit their initial values."""
        _, current = self._target(view)
        if current is None:
            raise LookupError(f"no view {view!r}")
        state_values = self._state_values(current, values or {})
        submitted = viewstack.set_state_values(self.state, current["id"], state_values)
        trigger_id = payloads.new_trigger(self.state, user)
        payload = payloads.view_submission(self.state, user, submitted, trigger_id)
        delivery = self.deliverer.send("view_submission", payload, payloads.payload_body(payload), FORM,
                                       **signing)
        if delivery.ok:
            self._apply_response_action(user, current["id"], delivery)
        return delivery

    @staticmethod
    def _state_values(view: dict, values: dict) -> dict:
        inputs = {b.get("block_id"): b for b in view.get("blocks", []) if b.get("type") == "input"}
        unknown = set(values) - set(inputs)
        if unknown:
            raise LookupError(f"the view has no input blocks {sorted(unknown)}")
        state_values: dict = {}
        for block_id, block in inputs.items():
            element = block["element"]
            action_id = element.get("action_id")
            given = values.get(block_id, {})
            if not isinstance(given, dict):
                given = {action_id: given}
            value = given.get(action_id, payloads.initial_value(element))
            state_values[block_id] = {action_id: payloads.selection_state(element, value)}
        return state_values

    def _apply_response_action(self, user: str, view_id: str, delivery: Delivery) -> None:
        answer = delivery.json if isinstance(delivery.json, dict) else {}
        action = answer.get("response_action")
        if action == "errors":
            return
        if action in ("update", "push"):
            problems = check_view(answer.get("view"))
            if problems:
                delivery.extra["problems"] = problems
                return
            if action == "update":
                viewstack.update_view(self.state, view_id, answer["view"])
            else:
                viewstack.push_modal(self.state, user, answer["view"])
        elif action == "clear":
            viewstack.clear_modals(self.state, user)
        else:
            viewstack.close_top(self.state, user)

    def close_view(self, user: str, view: Any = None, **signing: Any) -> Delivery | None:
        """Press Cancel/X on the top modal; a `view_closed` request goes out if the view asked."""
        stack = self.state.open_views(user)
        if not stack:
            raise LookupError(f"{user} has no modal open")
        current = stack[-1] if view is None else self._target(view)[1]
        viewstack.close_top(self.state, user)
        if not current.get("notify_on_close"):
            return None
        payload = payloads.view_closed(self.state, user, current, is_cleared=False)
        return self.deliverer.send("view_closed", payload, payloads.payload_body(payload), FORM, **signing)

    # ----- events -----------------------------------------------------------------------------
    def event(self, event_type: str, user: str | None = None, **fields: Any) -> Delivery:
        """Deliver any Events API event; `fields` go into the event as given."""
        event = {"type": event_type, "event_ts": self.state.ids.new_ts()}
        if user is not None:
            event["user"] = user
        event.update(fields)
        return self.deliver_event(event)

    def deliver_event(self, event: dict) -> Delivery:
        """Wrap a complete event in Slack's `event_callback` envelope and deliver it as JSON."""
        envelope = payloads.event_callback(self.state, event)
        return self.deliverer.send(f"event:{event['type']}", envelope, json.dumps(envelope).encode(), JSON)

    def open_home(self, user: str) -> Delivery:
        fields = {"channel": self.state.dm_channel_id(user), "tab": "home"}
        home = self.state.home_view(user)
        if home is not None:
            fields["view"] = home
        return self.event("app_home_opened", user, **fields)

    def send_dm(self, user: str, text: str, thread_ts: str | None = None) -> Delivery:
        """The person writes to the bot in their DM (in a thread with `thread_ts`): stored (escaped, as
        Slack does), then a `message.im` event, carrying `thread_ts` for a reply."""
        channel_id = self.state.dm_channel_id(user)
        text = payloads.slack_escape(text)
        stored = self.state.add_message(channel_id, {**user_message(user, text),
                                                     **({"thread_ts": thread_ts} if thread_ts else {})})
        extra = {"thread_ts": stored["thread_ts"]} if stored.get("thread_ts") else {}
        return self.event("message", user, channel=channel_id, text=text, ts=stored["ts"],
                          channel_type="im", team=self.state.team["id"], **extra)

    def say(self, user: str, channel_id: str, text: str, thread_ts: str | None = None) -> tuple[dict, Delivery | None]:
        """The person writes in a channel (in a thread with `thread_ts`). The app subscribes to DMs
        and mentions only: an `app_mention` event goes out when the text mentions the bot (typed as
        `<@U0BOT>` or `@Finetune Tutor`), as Slack sends it; nothing otherwise."""
        text = payloads.slack_escape(text)
        text = re.sub(r"&lt;@U0BOT&gt;|@Finetune Tutor\b", "<@U0BOT>", text, flags=re.IGNORECASE)
        stored = self.state.add_message(channel_id, {**user_message(user, text),
                                                     **({"thread_ts": thread_ts} if thread_ts else {})})
        if "<@U0BOT>" not in text:
            return stored, None
        extra = {"thread_ts": stored["thread_ts"]} if stored.get("thread_ts") else {}
        return stored, self.event("app_mention", user, channel=channel_id, text=text, ts=stored["ts"],
                                  team=self.state.team["id"], **extra)

    def upload_file(self, user: str, name: str, data: bytes, channel: str | None = None,
                    text: str = "") -> tuple[dict, list[Delivery]]:
        """The person shares a file (default: in their DM with the bot), as Slack announces it:
        a `file_shared` event and a `message` event with subtype `file_share`."""
        self._person(user)
        channel_id = self.state.resolve_channel(channel or user)
        if channel_id is None:
            raise ValueError(f"unknown channel {channel!r}")
        text = payloads.slack_escape(text)
        file = store_file(self.state, self.state.ids.new_id("F"), name, data, user, [channel_id])
        stored = self.state.add_message(channel_id, user_message(user, text, files=[file]))
        channel_type = "im" if channel_id.startswith("D") else "channel"
        deliveries = [
            self.event("file_shared", None, file_id=file["id"], user_id=user, file={"id": file["id"]},
                       channel_id=channel_id),
            self.event("message", user, subtype="file_share", channel=channel_id, text=text,
                       ts=stored["ts"], files=[file], upload=True, channel_type=channel_type),
        ]
        return file, deliveries

    def change_user(self, user: str, **changes: Any) -> Delivery | None:
        """Change a person (tz, deleted...); the bot hears a `user_change` event if it is reachable."""
        updated = self.state.change_person(user, **changes)
        if not self.deliverer.bot_url:
            return None
        return self.deliver_event({"type": "user_change", "user": updated, "event_ts": self.state.ids.new_ts()})

    def url_verification(self, challenge: str) -> Delivery:
        payload = payloads.url_verification(self.state, challenge)
        return self.deliverer.send("url_verification", payload, json.dumps(payload).encode(), JSON)

    def _person(self, user: str) -> dict:
        person = self.state.person(user)
        if person is None:
            raise LookupError(f"no user {user!r} in the sandbox")
        return person
