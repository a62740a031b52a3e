"""`Workspace`: the test driver. Starts a sandbox on a free loopback port and acts as its people.

    with Workspace(signing_secret="s", bot_token="xoxb-test") as ws:
        client = WebClient(base_url=ws.api_url, token="xoxb-test")
        ws.bot_url = "http://127.0.0.1:3000/slack/events"
        ws.slash("U0ADA", "/lesson", "next")
        ws.wait_for(lambda: ws.messages(ws.dm_channel("U0ADA")))

Bot listeners ack first and post later, so assertions on what the bot posted go through `wait_for`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, TypeVar

from sandbox.delivery import FORM, Delivery
from sandbox.people import user_object
from sandbox.server import SandboxServer

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, message: str = "",
             explain: Callable[[], str] | None = None) -> T:
    """Poll `predicate()` until it is truthy and return its value; AssertionError on timeout (with
    `explain()` appended). The one polling loop of the sandbox's drivers and of the test suite."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            why = f"; {explain()}" if explain else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}{why}")
        time.sleep(interval)


class Workspace:
    def __init__(self, signing_secret: str = "sandbox-signing-secret", bot_token: str = "xoxb-sandbox-token",
                 bot_url: str | None = None, port: int = 0, host: str = "127.0.0.1",
                 delivery_timeout: float = 10.0, public: bool = False) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self._server = SandboxServer(signing_secret=signing_secret, bot_token=bot_token, bot_url=bot_url,
                                     host=host, port=port, delivery_timeout=delivery_timeout, public=public)
        self.state = self._server.state
        self._interactions = self._server.interactions
        self._started = False
        self.socket_mode = None  # a SocketModeGateway once `use_socket_mode` is called

    # ----- lifecycle --------------------------------------------------------------------------
    def start(self) -> "Workspace":
        if not self._started:
            self._server.start()
            self._started = True
        return self

    def use_socket_mode(self, app_token: str, **options: Any):
        """Deliver to the bot over Socket Mode instead of HTTP: `apps.connections.open` now accepts
        `app_token`, and commands, interactions and events go out as envelopes (see sandbox.socketmode)."""
        from sandbox.socketmode import SocketDeliverer, SocketModeGateway

        gateway = SocketModeGateway(self.state, app_token, host=self._server.httpd.server_address[0],
                                    **options).start()
        self._server.webapi.app_level["apps.connections.open"] = gateway.connections_open
        self._server.deliverer = self._interactions.deliverer = SocketDeliverer(gateway)
        self.socket_mode = gateway
        return gateway

    def stop(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()
        if self._started:
            self._server.stop()
            self._started = False

    def __enter__(self) -> "Workspace":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """For `WebClient(base_url=...)`; ends with `/`."""
        return f"{self._server.url}/api/"

    @property
    def bot_url(self) -> str | None:
        return self._server.deliverer.bot_url

    @bot_url.setter
    def bot_url(self, value: str | None) -> None:
        self._server.deliverer.bot_url = value

    # ----- acting as people -------------------------------------------------------------------
    def slash(self, user: str, command: str, text: str = "", channel: str | None = None, *, sign: bool = True,
              timestamp: int | str | None = None, signing_secret: str | None = None) -> Delivery:
        """Send a slash command from `channel` (default #general). `sign=False`, an old `timestamp` or
        a wrong `signing_secret` produce requests the bot must reject."""
        return self._interactions.slash(user, command, text, channel, sign=sign, timestamp=timestamp,
                                        signing_secret=signing_secret)

    def click(self, user: str, target: Any, action_id: str | None = None, value: str | None = None, *,
              block_id: str | None = None) -> Delivery:
        """Press a button in a message (a dict from `messages()`), a view (dict or id) or a message ts."""
        return self._interactions.click(user, target, action_id, value, block_id)

    def select(self, user: str, target: Any, action_id: str, value: Any, *, block_id: str | None = None) -> Delivery:
        return self._interactions.select(user, target, action_id, value, block_id)

    def pick_time(self, user: str, target: Any, action_id: str, hhmm: str, *,
                  block_id: str | None = None) -> Delivery:
        return self._interactions.pick_time(user, target, action_id, hhmm, block_id)

    def submit_view(self, user: str, view: Any, values: dict | None = None) -> Delivery:
        """Submit a modal; `.json` of the result holds the bot's `response_action` (e.g. errors)."""
        return self._interactions.submit_view(user, view, values)

    def close_view(self, user: str, view: Any = None) -> Delivery | None:
        return self._interactions.close_view(user, view)

    def event(self, event_type: str, user: str | None = None, **fields: Any) -> Delivery:
        return self._interactions.event(event_type, user, **fields)

    def deliver_event(self, event: dict) -> Delivery:
        """Deliver a complete event dict (for events whose `user` field is an object)."""
        return self._interactions.deliver_event(event)

    def open_home(self, user: str) -> Delivery:
        return self._interactions.open_home(user)

    def send_dm(self, user: str, text: str, thread_ts: str | None = None) -> Delivery:
        return self._interactions.send_dm(user, text, thread_ts)

    def say(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> tuple[dict, Delivery | None]:
        """The person writes in a channel (or a thread); mentioning the bot sends `app_mention`."""
        return self._interactions.say(user, channel, text, thread_ts)

    def upload_file(self, user: str, name: str, data: bytes, channel: str | None = None,
                    text: str = "") -> tuple[dict, list[Delivery]]:
        return self._interactions.upload_file(user, name, data, channel, text)

    def url_verification(self, challenge: str = "sandbox-challenge") -> Delivery:
        return self._interactions.url_verification(challenge)

    def deliver(self, kind: str, payload: Any, body: bytes, content_type: str = FORM, **signing: Any) -> Delivery:
        """Post exactly `body` to the bot, signed as Slack signs (see `Deliverer.send` for the
        `sign=`, `timestamp=`, `signing_secret=` and `extra_headers=` options)."""
        return self._server.deliverer.send(kind, payload, body, content_type, **signing)

    def resend(self, delivery: Delivery) -> Delivery:
        """Deliver the same payload again, freshly signed: a double click, or Slack retrying a request."""
        from sandbox.payloads import payload_body

        return self.deliver(delivery.kind, delivery.payload, payload_body(delivery.payload))

    def raw_post(self, body: bytes | str, headers: dict | None = None, *, kind: str = "raw",
                 content_type: str = FORM) -> Delivery:
        """Post exactly these bytes and headers to the bot (nothing signed unless you sign it)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.deliver(kind, None, data, content_type, sign=False, extra_headers=headers)

    # ----- people -----------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None, tz: str = "UTC", *,
                 is_admin: bool = False) -> dict:
        return self.state.add_person(user_id, name, real_name, tz, is_admin=is_admin)

    def user(self, user_id: str) -> dict:
        person = self.state.person(user_id)
        if person is None:
            raise LookupError(user_id)
        return user_object(person)

    def set_tz(self, user: str, tz: str) -> Delivery | None:
        """Move a person to another zone; the bot gets `user_change` when `bot_url` is set."""
        return self._interactions.change_user(user, tz=tz)

    def deactivate(self, user: str) -> Delivery | None:
        return self._interactions.change_user(user, deleted=True)

    # ----- reading the workspace --------------------------------------------------------------
    def dm_channel(self, user: str) -> str:
        return self.state.dm_channel_id(user)

    def messages(self, channel: str | None = None, user: str | None = None,
                 include_ephemeral: bool = True) -> list[dict]:
        """Stored messages in time order (with `channel`, and `is_ephemeral`/`visible_to` for
        ephemerals); `channel` may be a user id for that person's DM with the bot."""
        channel_id = self.state.resolve_channel(channel) if channel else None
        if channel and channel_id is None:
            raise LookupError(f"no channel {channel!r}")
        return self.state.list_messages(channel_id, user, include_ephemeral)

    def home_view(self, user: str) -> dict | None:
        return self.state.home_view(user)

    def open_views(self, user: str) -> list[dict]:
        """The person's modal stack, bottom first."""
        return self.state.open_views(user)

    def file_bytes(self, file_id: str) -> bytes:
        with self.state.lock:
            return self.state.file_bytes[file_id]

    def journal(self, method: str | None = None, kind: str | None = None) -> list[dict]:
        """Web API calls (kind "api"), deliveries ("delivery"), uploads, downloads, response_url posts."""
        return self.state.journal(method, kind)

    def deliveries(self, type_: str | None = None) -> list[dict]:
        return self.state.journal(kind="delivery", where=lambda e: type_ is None or e["type"] == type_)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
                 message: str = "") -> T:
        """Poll until `predicate()` is truthy and return its value; on timeout the AssertionError
        carries the journal's last entries, which usually say why."""
        return wait_for(predicate, timeout, interval, message,
                        explain=lambda: "last journal entries: " + json.dumps(self.journal()[-5:], default=str)[:2000])

    # ----- rate limits ------------------------------------------------------------------------
    def set_rate_limit(self, method: str, burst: int, per_seconds: float, retry_after: int | None = None, *,
                       per_channel: bool = False) -> None:
        """Allow `burst` calls to `method`, refilled over `per_seconds`; beyond that HTTP 429."""
        self.state.rate_limiter.set(method, burst, per_seconds, retry_after, per_channel=per_channel)

    def rate_limit_like_slack(self) -> None:
        self.state.rate_limiter.like_slack()

    def clear_rate_limits(self) -> None:
        self.state.rate_limiter.clear()
