"""Everything the sandbox workspace remembers, behind one lock.

The HTTP server answers on many threads and the test driver reads from another, so every read hands
out deep copies and every write happens under `lock`. Each change also lands in a change feed that
the browser's server-sent-events stream and `wait_for` style polling can follow.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, Callable, Iterable

from sandbox import people as people_mod
from sandbox.ids import IdMaker
from sandbox.ratelimit import RateLimiter

# Keys kept on stored messages for the sandbox's own bookkeeping; Slack's payloads never show them.
SANDBOX_MESSAGE_KEYS = ("channel", "is_ephemeral", "visible_to", "history")


def public_message(record: dict) -> dict:
    """A stored message as Slack would show it to the bot (without sandbox bookkeeping)."""
    return {key: copy.deepcopy(value) for key, value in record.items() if key not in SANDBOX_MESSAGE_KEYS}


class WorkspaceState:
    """Team, people, channels, messages, views, files, one-shot tokens, journal and change feed."""

    def __init__(self, *, bot_token: str, signing_secret: str) -> None:
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.ids = IdMaker()
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.verification_token = "sandbox-verification-token"
        self.base_url = ""  # "http://127.0.0.1:PORT/", set once the server is bound
        # Where response_urls point: this server, or (several workspaces, as on Slack's one hooks host)
        # the front that serves them all and forwards each URL to the workspace that issued it.
        self.hooks_url = ""
        self.rate_limiter = RateLimiter()
        self.team = dict(people_mod.TEAM)
        self.people: dict[str, dict] = {p["id"]: p for p in people_mod.default_people()}
        general = people_mod.GENERAL_CHANNEL
        self.channels: dict[str, dict] = {
            general["id"]: {"id": general["id"], "name": general["name"], "is_im": False,
                            "is_general": True, "created": int(time.time())},
        }
        self.messages: dict[str, list[dict]] = {general["id"]: []}
        self.views: dict[str, dict] = {}
        self.view_owner: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.files: dict[str, dict] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.pending_uploads: dict[str, dict] = {}
        self.triggers: dict[str, dict] = {}
        self.response_urls: dict[str, dict] = {}
        self._journal: list[dict] = []
        self._changes: list[dict] = []

    # ----- people -----------------------------------------------------------------------------
    def person(self, user_id: str) -> dict | None:
        with self.lock:
            found = self.people.get(user_id)
            return copy.deepcopy(found) if found else None

    def add_person(self, user_id: str, name: str, real_name: str | None = None, tz: str = "UTC", *,
                   is_admin: bool = False, is_owner: bool = False) -> dict:
        record = people_mod.new_person(user_id, name, real_name or name.title(), tz,
                                       is_admin=is_admin, is_owner=is_owner)
        with self.lock:
            self.people[user_id] = record
        self.notify("user", {"user": user_id})
        return people_mod.user_object(record)

    def change_person(self, user_id: str, **changes: Any) -> dict:
        """Apply changes (tz, deleted, is_admin...) and return the new Slack user object."""
        with self.lock:
            record = self.people[user_id]
            if "tz" in changes:
                people_mod.tz_fields(changes["tz"])  # validates the zone name
            record.update(changes)
            record["updated"] = int(time.time())
            user = people_mod.user_object(record)
        self.notify("user", {"user": user_id})
        return user

    # ----- channels ---------------------------------------------------------------------------
    def channel(self, channel_id: str) -> dict | None:
        with self.lock:
            found = self.channels.get(channel_id)
            return copy.deepcopy(found) if found else None

    def dm_channel_id(self, user_id: str) -> str:
        """The bot's DM with a person, created on first use (`D` + the user id's tail)."""
        channel_id = "D" + user_id[1:]
        with self.lock:
            if channel_id not in self.channels:
                self.channels[channel_id] = {"id": channel_id, "is_im": True, "user": user_id,
                                             "created": int(time.time())}
                self.messages[channel_id] = []
        return channel_id

    def resolve_channel(self, reference: str) -> str | None:
        """A channel id from an id, a `#name`, a name, or a user id (meaning the DM with them)."""
        if not reference:
            return None
        with self.lock:
            if reference in self.channels:
                return reference
            if reference in self.people:
                return self.dm_channel_id(reference)
            if reference.startswith("D") and "U" + reference[1:] in self.people:
                return self.dm_channel_id("U" + reference[1:])  # every person has a DM with the bot
            name = reference.lstrip("#")
            for channel in self.channels.values():
                if channel.get("name") == name:
                    return channel["id"]
        return None

    def channel_members(self, channel_id: str) -> list[str]:
        with self.lock:
            channel = self.channels[channel_id]
            if channel["is_im"]:
                return [channel["user"], people_mod.BOT_USER_ID]
            return list(self.people)

    # ----- messages ---------------------------------------------------------------------------
    def add_message(self, channel_id: str, record: dict) -> dict:
        with self.lock:
            record = copy.deepcopy(record)
            record.setdefault("ts", self.ids.new_ts())
            record["channel"] = channel_id
            parent = self._thread_parent(channel_id, record)
            self.messages.setdefault(channel_id, []).append(record)
            stored = copy.deepcopy(record)
        self.notify("message", {"action": "added", "channel": channel_id, "ts": stored["ts"]})
        if parent is not None:
            self.notify("message", {"action": "updated", "channel": channel_id, "ts": parent})
        return stored

    def _thread_parent(self, channel_id: str, record: dict) -> str | None:
        """A reply (`thread_ts`) joins its thread as Slack does: a reply to a reply goes under the
        thread's parent; the reply gets `parent_user_id`; the parent gets `thread_ts` (its own ts),
        `reply_count`, `reply_users`, `reply_users_count` and `latest_reply`. The parent's ts, or None."""
        thread_ts = record.get("thread_ts")
        if not thread_ts or thread_ts == record["ts"]:
            return None
        parent = self._find(channel_id, thread_ts)
        if parent is None:
            return None
        if parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
            parent = self._find(channel_id, parent["thread_ts"]) or parent
        record["thread_ts"] = parent["ts"]
        if parent.get("user"):
            record["parent_user_id"] = parent["user"]
        users = parent.setdefault("reply_users", [])
        if record.get("user") and record["user"] not in users:
            users.append(record["user"])
        parent.update(thread_ts=parent["ts"], reply_count=parent.get("reply_count", 0) + 1,
                      reply_users_count=len(users), latest_reply=record["ts"])
        return parent["ts"]

    def thread(self, channel_id: str, ts: str) -> list[dict] | None:
        """The thread `ts` belongs to (its parent or any reply): parent first, then replies in time
        order, ephemerals left out; None when there is no such message."""
        with self.lock:
            found = self._find(channel_id, ts)
            if found is None:
                return None
            root = found.get("thread_ts") or found["ts"]
            messages = [copy.deepcopy(m) for m in self.messages.get(channel_id, [])
                        if not m.get("is_ephemeral") and (m["ts"] == root or m.get("thread_ts") == root)]
        messages.sort(key=lambda m: (m["ts"] != root, float(m["ts"])))
        return messages

    def _find(self, channel_id: str, ts: str) -> dict | None:
        for record in self.messages.get(channel_id, []):
            if record["ts"] == ts:
                return record
        return None

    def find_message(self, channel_id: str, ts: str, *, history: bool = True) -> dict | None:
        """A copy of the message; `history=False` leaves out its edits (the Web API's checks need only
        the message, and copying a long history under the lock held every other call up)."""
        with self.lock:
            found = self._find(channel_id, ts)
            if found is None:
                return None
            return copy.deepcopy(found if history else {k: v for k, v in found.items() if k != "history"})

    def update_message(self, channel_id: str, ts: str, changes: dict, editor: str) -> dict | None:
        """Apply changes to a message, keeping what it said before in `history` and marking it edited.
        Returns the message as updated, less its history: that only grows, and copying it on every edit
        made each edit of a message edited n times cost O(n) (bench.load's learners all click one
        template message, ~20 edits/s: the sandbox fell behind the bot, whose queued work then grew)."""
        with self.lock:
            record = self._find(channel_id, ts)
            if record is None:
                return None
            before = {key: copy.deepcopy(record.get(key)) for key in ("text", "blocks", "files")}
            record.setdefault("history", []).append({**before, "replaced_at": time.time()})
            record.update(copy.deepcopy(changes))
            record["edited"] = {"user": editor, "ts": self.ids.new_ts()}
            stored = {key: copy.deepcopy(value) for key, value in record.items() if key != "history"}
        self.notify("message", {"action": "updated", "channel": channel_id, "ts": ts})
        return stored

    def delete_message(self, channel_id: str, ts: str) -> bool:
        with self.lock:
            record = self._find(channel_id, ts)
            if record is None:
                return False
            self.messages[channel_id].remove(record)
        self.notify("message", {"action": "deleted", "channel": channel_id, "ts": ts})
        return True

    def list_messages(self, channel_id: str | None = None, user: str | None = None,
                      include_ephemeral: bool = True) -> list[dict]:
        """Messages in time order; `user` limits ephemerals to the ones that person can see."""
        with self.lock:
            channel_ids = [channel_id] if channel_id else list(self.messages)
            found = [copy.deepcopy(m) for cid in channel_ids for m in self.messages.get(cid, [])]
        found.sort(key=lambda m: float(m["ts"]))
        visible = []
        for record in found:
            if record.get("is_ephemeral"):
                if not include_ephemeral or (user and record.get("visible_to") != user):
                    continue
            visible.append(record)
        return visible

    # ----- journal and change feed ------------------------------------------------------------
    def record(self, entry: dict) -> dict:
        """Append a journal entry (an API call, a delivery, an upload...) and announce it."""
        with self.lock:
            entry = {"seq": len(self._journal) + 1, "time": time.time(), **copy.deepcopy(entry)}
            self._journal.append(entry)
        self.notify("journal", {"seq": entry["seq"], "kind": entry.get("kind"),
                                "method": entry.get("method"), "ok": entry.get("ok")})
        return entry

    def journal(self, method: str | None = None, kind: str | None = None,
                where: Callable[[dict], bool] | None = None) -> list[dict]:
        with self.lock:
            entries = copy.deepcopy(self._journal)
        return [e for e in entries
                if (method is None or e.get("method") == method)
                and (kind is None or e.get("kind") == kind)
                and (where is None or where(e))]

    def notify(self, kind: str, data: dict) -> None:
        with self._changed:
            self._changes.append({"seq": len(self._changes) + 1, "kind": kind, "data": data})
            self._changed.notify_all()

    def changes_since(self, seq: int, timeout: float = 0.0) -> list[dict]:
        """Changes after `seq`, waiting up to `timeout` seconds for the first one."""
        with self._changed:
            if len(self._changes) <= seq and timeout > 0:
                self._changed.wait(timeout)
            return copy.deepcopy(self._changes[seq:])

    def last_change_seq(self) -> int:
        with self.lock:
            return len(self._changes)

    # ----- views ------------------------------------------------------------------------------
    def view(self, view_id: str) -> dict | None:
        with self.lock:
            found = self.views.get(view_id)
            return copy.deepcopy(found) if found else None

    def open_views(self, user_id: str) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(self.views[v]) for v in self.modal_stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> dict | None:
        with self.lock:
            view_id = self.home_views.get(user_id)
            return copy.deepcopy(self.views[view_id]) if view_id else None

    def snapshot(self, keys: Iterable[str]) -> dict:
        """Deep copies of several attributes at one instant (for the UI's JSON endpoints)."""
        with self.lock:
            return {key: copy.deepcopy(getattr(self, key)) for key in keys}
