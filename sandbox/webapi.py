"""The Slack Web API methods the tutor uses, with Slack's response shapes and error codes.

`WebApi.call(method, args, token)` returns (HTTP status, extra headers, JSON body). Errors are
HTTP 200 with `{"ok": false, "error": ...}` as Slack answers, except `ratelimited` (HTTP 429 and a
Retry-After header). Every call, allowed or not, is written to the journal (without the token).
Departure from Slack: invalid Block Kit in a *view* answers `invalid_blocks` (Slack says
`invalid_arguments` there) so the bot has one error code to handle for broken blocks.
"""

from __future__ import annotations

import json
import mimetypes
import time
from typing import Any, Callable

from sandbox import viewstack
from sandbox.blockkit import check_blocks, check_message_text, check_view
from sandbox.messages import bot_message
from sandbox.people import BOT_ID, BOT_NAME, BOT_USER_ID, user_object
from sandbox.state import WorkspaceState, public_message

TRIGGER_LIFETIME_S = 3.0
CHANNEL_SCOPED_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete")


class ApiError(Exception):
    """A Slack error code plus any extra response fields (such as response_metadata)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _json_arg(args: dict, key: str, error: str = "invalid_arguments") -> Any:
    """Form-encoded calls send blocks/views/files as JSON strings; JSON calls send them as-is."""
    value = args.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ApiError(error) from exc
    return value


def _require(args: dict, *keys: str) -> None:
    missing = [key for key in keys if args.get(key) in (None, "")]
    if missing:
        raise ApiError("invalid_arguments",
                       response_metadata={"messages": [f"[ERROR] missing required field: {k}" for k in missing]})


def _blocks_or_fail(args: dict, surface: str = "message") -> list | None:
    blocks = _json_arg(args, "blocks", "invalid_blocks_format")
    if blocks is None:
        return None
    problems = check_blocks(blocks, surface)
    if problems:
        raise ApiError("invalid_blocks", response_metadata={"messages": problems})
    return blocks


def _view_or_fail(args: dict) -> dict:
    view = _json_arg(args, "view")
    if view is None:
        raise ApiError("invalid_arguments",
                       response_metadata={"messages": ["[ERROR] missing required field: view"]})
    problems = check_view(view)
    if problems:
        raise ApiError("invalid_blocks", response_metadata={"messages": problems})
    return view


class WebApi:
    """Dispatches `/api/<method>` calls to the handlers below."""

    def __init__(self, state: WorkspaceState) -> None:
        self.state = state
        self.methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "users.info": self.users_info,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
            "files.info": self.files_info,
        }
        # Methods that authenticate with something other than the bot token (an app-level token for
        # `apps.connections.open`): name -> handler(args, token) -> (status, headers, body).
        self.app_level: dict[str, Callable[[dict, str | None], tuple[int, dict, dict]]] = {}

    # ----- entry point ------------------------------------------------------------------------
    def call(self, method: str, args: dict, token: str | None) -> tuple[int, dict, dict]:
        started = time.monotonic()
        status, headers, body = self._dispatch(method, args, token)
        self.state.record({
            "kind": "api", "method": method, "args": args, "response": body, "ok": body.get("ok"),
            "error": body.get("error"), "status": status,
            "latency": round(time.monotonic() - started, 6),
        })
        return status, headers, body

    def _dispatch(self, method: str, args: dict, token: str | None) -> tuple[int, dict, dict]:
        if method in self.app_level:
            return self.app_level[method](args, token)
        handler = self.methods.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if token != self.state.bot_token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        channel = self.state.resolve_channel(str(args.get("channel", ""))) if method in CHANNEL_SCOPED_METHODS else None
        retry_after = self.state.rate_limiter.check(method, channel)
        if retry_after is not None:
            return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
        try:
            return 200, {}, {"ok": True, **handler(args)}
        except ApiError as exc:
            return 200, {}, {"ok": False, "error": exc.error, **exc.extra}
        except viewstack.ViewError as exc:
            return 200, {}, {"ok": False, "error": str(exc)}

    # ----- helpers ----------------------------------------------------------------------------
    def _channel(self, args: dict, key: str = "channel") -> str:
        reference = str(args.get(key) or "")
        if not reference:
            raise ApiError("channel_not_found")
        person = self.state.person(reference)
        if person is not None:
            self._check_dm_allowed(person)
        channel_id = self.state.resolve_channel(reference)
        if channel_id is None:
            raise ApiError("channel_not_found")
        channel = self.state.channel(channel_id)
        if channel["is_im"]:
            self._check_dm_allowed(self.state.person(channel["user"]))
        return channel_id

    @staticmethod
    def _check_dm_allowed(person: dict) -> None:
        if person["id"] == BOT_USER_ID:
            raise ApiError("cannot_dm_bot")
        if person["deleted"]:
            raise ApiError("user_disabled")

    def _message_content(self, args: dict) -> tuple[str | None, list | None, list[str]]:
        """Text and blocks of a message, plus Slack's warnings (missing fallback text)."""
        text = args.get("text")
        error = check_message_text(text)
        if error:
            raise ApiError(error)
        blocks = self._slack_files_ok(_blocks_or_fail(args))
        if not text and not blocks and not args.get("attachments"):
            raise ApiError("no_text")
        warnings = ["missing_text_fallback"] if blocks and not text else []
        return text, blocks, warnings

    def _slack_files_ok(self, blocks: list | None) -> list | None:
        """Image blocks that show a Slack file (`slack_file`): per Slack's docs the file must be a png, jpg,
        jpeg or gif image that the poster (the bot) can access, and give its `id` or its `url`, not both."""
        for index, block in enumerate(blocks or []):
            file = block.get("slack_file") if isinstance(block, dict) and block.get("type") == "image" else None
            if file is None:
                continue
            problem = None
            if not isinstance(file, dict) or bool(file.get("id")) == bool(file.get("url")):
                problem = "must provide either id or url"
            else:
                with self.state.lock:
                    found = self.state.files.get(str(file.get("id") or "")) if file.get("id") else next(
                        (f for f in self.state.files.values() if file["url"] in (f["url_private"], f["permalink"])), None)
                accessible = found is not None and (found["user"] == BOT_USER_ID or found["channels"] or found["ims"])
                if not accessible:
                    problem = "file not found or not accessible to the poster"
                elif found["filetype"] not in ("png", "jpg", "jpeg", "gif"):
                    problem = "only png, jpg, jpeg and gif files are supported"
            if problem:
                raise ApiError("invalid_blocks", response_metadata={
                    "messages": [f"[ERROR] {problem} [json-pointer:/blocks/{index}/slack_file]"]})
        return blocks

    @staticmethod
    def _with_warnings(body: dict, warnings: list[str]) -> dict:
        if warnings:
            body["warning"] = ",".join(warnings)
            body["response_metadata"] = {"warnings": warnings}
        return body

    def _user(self, user_id: str | None) -> dict:
        person = self.state.person(user_id or "")
        if person is None:
            raise ApiError("user_not_found")
        return person

    # ----- auth and chat ----------------------------------------------------------------------
    def auth_test(self, args: dict) -> dict:
        return {"url": self.state.base_url, "team": self.state.team["name"], "user": BOT_NAME,
                "team_id": self.state.team["id"],
                "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def chat_post_message(self, args: dict) -> dict:
        channel_id = self._channel(args)
        text, blocks, warnings = self._message_content(args)
        thread_ts = args.get("thread_ts") or None
        if thread_ts and self.state.find_message(channel_id, thread_ts, history=False) is None:
            raise ApiError("thread_not_found")
        record = bot_message(text, blocks, thread_ts=thread_ts)
        metadata = _json_arg(args, "metadata") if args.get("metadata") else None
        if metadata is not None:
            if not isinstance(metadata, dict) or not metadata.get("event_type") or not isinstance(
                    metadata.get("event_payload", {}), dict):
                raise ApiError("invalid_metadata_format")
            record["metadata"] = metadata
        stored = self.state.add_message(channel_id, record)
        body = {"channel": channel_id, "ts": stored["ts"], "message": public_message(stored)}
        return self._with_warnings(body, warnings)

    def conversations_history(self, args: dict) -> dict:
        """Newest first, between `oldest` and `latest`; message metadata only with include_all_metadata."""
        channel_id = self._channel(args)
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 9e12)
        try:
            limit = max(1, min(int(args.get("limit") or 100), 999))
        except ValueError:
            raise ApiError("invalid_limit") from None
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in self.state.list_messages(channel_id, include_ephemeral=False)
                 if oldest < float(m["ts"]) < latest and m.get("thread_ts", m["ts"]) == m["ts"]]
        found.reverse()
        messages = []
        for message in found[:limit]:
            public = public_message(message)
            if not with_metadata:
                public.pop("metadata", None)
            messages.append(public)
        return {"messages": messages, "has_more": len(found) > limit, "pin_count": 0,
                "response_metadata": {"next_cursor": ""}}

    def conversations_replies(self, args: dict) -> dict:
        """A thread, as Slack documents it: `ts` is its parent or any reply; the parent comes first,
        then the replies oldest first, between `oldest` and `latest` (`inclusive` keeps those two),
        at most `limit`; metadata only with include_all_metadata; `thread_not_found` otherwise."""
        channel_id = self._channel(args)
        thread = self.state.thread(channel_id, str(args.get("ts") or ""))
        if thread is None:
            raise ApiError("thread_not_found")
        try:
            limit = max(1, min(int(args.get("limit") or 1000), 1000))
        except ValueError:
            raise ApiError("invalid_limit") from None
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 9e12)
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")

        def within(ts: float) -> bool:
            return oldest <= ts <= latest if inclusive else oldest < ts < latest

        parent, replies = thread[0], [m for m in thread[1:] if within(float(m["ts"]))]
        shown = [parent] + replies
        messages = []
        for message in shown[:limit]:
            public = public_message(message)
            if not with_metadata:
                public.pop("metadata", None)
            messages.append(public)
        return {"messages": messages, "has_more": len(shown) > limit,
                "response_metadata": {"next_cursor": ""}}

    def _own_message(self, args: dict, refusal: str) -> tuple[str, str]:
        """(channel, ts) of a message the bot posted; Slack's errors otherwise."""
        channel_id = self._channel(args)
        ts = str(args.get("ts") or "")
        current = self.state.find_message(channel_id, ts, history=False)
        if current is None:
            raise ApiError("message_not_found")
        if current.get("bot_id") != BOT_ID:
            raise ApiError(refusal)
        return channel_id, ts

    def chat_update(self, args: dict) -> dict:
        channel_id, ts = self._own_message(args, "cant_update_message")
        text = args.get("text")
        if check_message_text(text):
            raise ApiError("msg_too_long")
        blocks = self._slack_files_ok(_blocks_or_fail(args))
        changes: dict = {}
        if text is not None:
            changes["text"] = text
        if blocks is not None:
            changes["blocks"] = bot_message(None, blocks)["blocks"]
        if not changes:
            raise ApiError("no_text")
        stored = self.state.update_message(channel_id, ts, changes, BOT_USER_ID)
        warnings = ["missing_text_fallback"] if blocks and not text else []
        body = {"channel": channel_id, "ts": ts, "text": stored["text"], "message": public_message(stored)}
        return self._with_warnings(body, warnings)

    def chat_post_ephemeral(self, args: dict) -> dict:
        channel_id = self._channel(args)
        user_id = str(args.get("user") or "")
        self._user(user_id)
        if user_id not in self.state.channel_members(channel_id):
            raise ApiError("user_not_in_channel")
        text, blocks, warnings = self._message_content(args)
        record = bot_message(text, blocks, thread_ts=args.get("thread_ts") or None)
        record.update({"is_ephemeral": True, "visible_to": user_id})
        stored = self.state.add_message(channel_id, record)
        return self._with_warnings({"message_ts": stored["ts"]}, warnings)

    def chat_delete(self, args: dict) -> dict:
        channel_id, ts = self._own_message(args, "cant_delete_message")
        self.state.delete_message(channel_id, ts)
        return {"channel": channel_id, "ts": ts}

    # ----- conversations and users ------------------------------------------------------------
    def conversations_open(self, args: dict) -> dict:
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            if args.get("channel"):
                return {"channel": {"id": self._channel(args)}, "no_op": True, "already_open": True}
            raise ApiError("users_list_not_supplied")
        if len(users) > 1:
            raise ApiError("not_supported")
        person = self._user(users[0])
        self._check_dm_allowed(person)
        already = self.state.channel("D" + person["id"][1:]) is not None
        channel_id = self.state.dm_channel_id(person["id"])
        return {"no_op": already, "already_open": already, "channel": {"id": channel_id}}

    def conversations_info(self, args: dict) -> dict:
        channel_id = self.state.resolve_channel(str(args.get("channel") or ""))
        channel = self.state.channel(channel_id) if channel_id else None
        if channel is None or not channel_id.startswith(("C", "D", "G")):
            raise ApiError("channel_not_found")
        if channel["is_im"]:
            body = {"id": channel_id, "is_im": True, "user": channel["user"], "created": channel["created"],
                    "is_user_deleted": self.state.person(channel["user"])["deleted"], "is_open": True}
        else:
            body = {"id": channel_id, "name": channel["name"], "is_channel": True, "is_im": False,
                    "is_private": False, "is_archived": False, "is_member": True,
                    "is_general": channel.get("is_general", False), "created": channel["created"],
                    "num_members": len(self.state.channel_members(channel_id))}
        return {"channel": body}

    def users_info(self, args: dict) -> dict:
        return {"user": user_object(self._user(args.get("user")))}

    # ----- views ------------------------------------------------------------------------------
    def _take_trigger(self, args: dict) -> str:
        """The person a trigger_id belongs to; triggers last 3 s and work once."""
        trigger_id = str(args.get("trigger_id") or "")
        with self.state.lock:
            trigger = self.state.triggers.get(trigger_id)
            if trigger is None:
                raise ApiError("invalid_trigger_id")
            if trigger["used"]:
                raise ApiError("exchanged_trigger_id")
            if time.monotonic() - trigger["created"] > TRIGGER_LIFETIME_S:
                raise ApiError("expired_trigger_id")
            trigger["used"] = True
            return trigger["user"]

    def views_open(self, args: dict) -> dict:
        view = _view_or_fail(args)
        if view.get("type") != "modal":
            raise ApiError("invalid_arguments")
        user_id = self._take_trigger(args)
        return {"view": viewstack.open_modal(self.state, user_id, view)}

    def views_push(self, args: dict) -> dict:
        view = _view_or_fail(args)
        user_id = self._take_trigger(args)
        return {"view": viewstack.push_modal(self.state, user_id, view)}

    def views_update(self, args: dict) -> dict:
        view = _view_or_fail(args)
        view_id = viewstack.find_view_id(self.state, args.get("view_id"), args.get("external_id"))
        return {"view": viewstack.update_view(self.state, view_id, view, args.get("hash"))}

    def views_publish(self, args: dict) -> dict:
        view = _view_or_fail(args)
        if view.get("type") != "home":
            raise ApiError("invalid_arguments")
        person = self._user(args.get("user_id"))
        return {"view": viewstack.publish_home(self.state, person["id"], view, args.get("hash"))}

    # ----- files ------------------------------------------------------------------------------
    def files_get_upload_url(self, args: dict) -> dict:
        _require(args, "filename", "length")
        try:
            length = int(args["length"])
        except (TypeError, ValueError) as exc:
            raise ApiError("invalid_arguments") from exc
        file_id = self.state.ids.new_id("F")
        with self.state.lock:
            self.state.pending_uploads[file_id] = {"filename": str(args["filename"]), "length": length,
                                                   "alt_txt": args.get("alt_txt"), "data": None}
        return {"upload_url": f"{self.state.base_url}upload/{file_id}", "file_id": file_id}

    def files_complete_upload(self, args: dict) -> dict:
        entries = _json_arg(args, "files")
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments")
        channel_ids = []
        for key in ("channel_id", "channels"):
            for reference in str(args.get(key) or "").split(","):
                if reference.strip():
                    channel_ids.append(self._channel({"channel": reference.strip()}))
        files = [self._finish_upload(entry, BOT_USER_ID, channel_ids) for entry in entries]
        for channel_id in channel_ids:
            record = bot_message(args.get("initial_comment") or "", None, thread_ts=args.get("thread_ts") or None)
            record.update({"files": files, "upload": True})
            self.state.add_message(channel_id, record)
        return {"files": files}

    def _finish_upload(self, entry: dict, user_id: str, channel_ids: list[str]) -> dict:
        file_id = entry.get("id") if isinstance(entry, dict) else None
        with self.state.lock:
            pending = self.state.pending_uploads.get(file_id or "")
            if pending is None or pending["data"] is None:
                raise ApiError("file_not_found")
            del self.state.pending_uploads[file_id]
        return store_file(self.state, file_id, pending["filename"], pending["data"], user_id,
                          channel_ids, title=entry.get("title") or pending["filename"])

    def files_info(self, args: dict) -> dict:
        with self.state.lock:
            found = self.state.files.get(str(args.get("file") or ""))
            if found is None:
                raise ApiError("file_not_found")
            return {"file": dict(found), "comments": [], "response_metadata": {"next_cursor": ""}}


def store_file(state: WorkspaceState, file_id: str, name: str, data: bytes, user_id: str,
               channel_ids: list[str], title: str | None = None) -> dict:
    """Keep an uploaded file's bytes and return Slack's file object for it."""
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    base = state.base_url
    record = {
        "id": file_id, "created": int(time.time()), "timestamp": int(time.time()), "name": name,
        "title": title or name, "mimetype": mimetype, "filetype": extension, "pretty_type": extension.upper(),
        "user": user_id, "user_team": state.team["id"], "editable": False, "size": len(data), "mode": "hosted",
        "is_external": False, "external_type": "", "is_public": False, "public_url_shared": False,
        "url_private": f"{base}files/{file_id}/{name}",
        "url_private_download": f"{base}files/{file_id}/download/{name}",
        "permalink": f"{base}files/{file_id}/{name}",
        "channels": [c for c in channel_ids if c.startswith("C")],
        "groups": [], "ims": [c for c in channel_ids if c.startswith("D")],
    }
    with state.lock:
        state.files[file_id] = record
        state.file_bytes[file_id] = data
    return dict(record)
