"""Socket Mode for the sandbox: `apps.connections.open` and the WebSocket that carries requests to the bot.

As Slack's Socket Mode does (docs.slack.dev/apis/events-api/using-socket-mode):
- `apps.connections.open` takes only the app-level `xapp-` token and returns a one-use `ws://…/link/?ticket=`;
- a new connection first gets `{"type": "hello", ...}`;
- every request is an envelope `{"envelope_id", "type": events_api|slash_commands|interactive, "payload",
  "accepts_response_payload"}` (events also carry `retry_attempt` and `retry_reason`);
- the app acks with `{"envelope_id": ..., "payload": {...}?}` within 3 s; an event that is not acked in
  time (or whose connection died first) is sent again with `retry_attempt` + 1, up to 3 retries;
  commands and interactions are not retried (Slack shows the person an error instead);
- now and then Slack asks for a new connection: `{"type": "disconnect", "reason": "warning"}` some
  seconds ahead, then `"refresh_requested"`, and closes the old socket once the app has a new one.
Departure: Slack would fail a request at once when no connection is open; the sandbox waits up to
`connect_wait` seconds for the bot to (re)connect, so a test can drop the connection and go on.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox import websocket
from sandbox.delivery import Delivery
from sandbox.people import APP_ID
from sandbox.state import WorkspaceState

ACK_DEADLINE_S = 3.0
MAX_EVENT_RETRIES = 3
WARNING_LEAD_S = 10.0
TICKET_LIFETIME_S = 30.0


class _Link:
    """One open WebSocket from the app."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.id = uuid.uuid4().hex[:12]
        self.opened = time.monotonic()
        self.alive = True
        self.warned = False
        self.refreshing_since: float | None = None


class SocketModeGateway:
    """Listens on loopback for Socket Mode connections and delivers envelopes over them."""

    def __init__(self, state: WorkspaceState, app_token: str, *, host: str = "127.0.0.1",
                 ack_deadline: float = ACK_DEADLINE_S, reply_timeout: float = 10.0, connect_wait: float = 60.0,
                 refresh_every: float | None = None) -> None:
        self.state, self.app_token, self.host = state, app_token, host
        self.ack_deadline, self.reply_timeout, self.connect_wait = ack_deadline, reply_timeout, connect_wait
        self.refresh_every = refresh_every
        self._cond = threading.Condition()
        self._links: list[_Link] = []
        self._tickets: dict[str, float] = {}
        self._acks: dict[str, dict | None] = {}
        self._lose_acks = 0
        self._stopping = threading.Event()
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)
        self._threads = [threading.Thread(target=self._accept_loop, name="socket-mode-accept", daemon=True),
                         threading.Thread(target=self._housekeeping, name="socket-mode-refresh", daemon=True)]

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def start(self) -> "SocketModeGateway":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.drop_connections(code=1001, reason="sandbox stopping")
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    # ----- the Web API method ----------------------------------------------------------------
    def connections_open(self, args: dict, token: str | None) -> tuple[int, dict, dict]:
        """`apps.connections.open`: app-level token only, as Slack answers it."""
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        ticket = secrets.token_urlsafe(18)
        with self._cond:
            self._tickets[ticket] = time.monotonic()
        return 200, {}, {"ok": True, "url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    # ----- what tests do to the connection ---------------------------------------------------
    def connections(self) -> int:
        with self._cond:
            return sum(1 for link in self._links if link.alive)

    def wait_connected(self, timeout: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: any(l.alive and l.refreshing_since is None for l in self._links),
                                       timeout):
                raise AssertionError(f"the app did not open a Socket Mode connection within {timeout}s")

    def drop_connections(self, code: int = 1011, reason: str = "dropped by the sandbox") -> int:
        """Close every open connection (with a close frame, as Slack's edge does when it goes away)."""
        with self._cond:
            links = [link for link in self._links if link.alive]
        for link in links:
            link.ws.close(code, reason)
        return len(links)

    def request_refresh(self) -> None:
        """Ask the app for a new connection, as Slack does every few hours: a warning, then the request."""
        with self._cond:
            links = [link for link in self._links if link.alive and link.refreshing_since is None]
        for link in links:
            self._disconnect_message(link, "warning")
            self._disconnect_message(link, "refresh_requested")

    def lose_acks(self, count: int = 1) -> None:
        """Forget the next `count` acks, as if they were lost on the way: events are then redelivered."""
        with self._cond:
            self._lose_acks += count

    # ----- delivering ---------------------------------------------------------------------
    def deliver(self, kind: str, envelope_type: str, payload: Any, accepts_response_payload: bool) -> Delivery:
        """Send one request as an envelope and wait for its ack; events are retried as Slack retries them."""
        started = time.monotonic()
        attempts = MAX_EVENT_RETRIES + 1 if envelope_type == "events_api" else 1
        ids: list[str] = []
        delivery = None
        for attempt in range(attempts):
            envelope = {"envelope_id": str(uuid.uuid4()), "type": envelope_type, "payload": payload,
                        "accepts_response_payload": accepts_response_payload}
            if envelope_type == "events_api":
                envelope.update({"retry_attempt": attempt, "retry_reason": "" if attempt == 0 else "timeout"})
            ids.append(envelope["envelope_id"])
            with self._cond:
                self._acks[envelope["envelope_id"]] = None
            link = self._send(envelope)
            wait = self.ack_deadline if envelope_type == "events_api" else self.reply_timeout
            ack = self._wait_ack(ids, link, wait, give_up_on_loss=envelope_type == "events_api") if link else None
            delivery = self._result(kind, payload, ack, started, None if link else "no_connection")
            self._journal(delivery, envelope, link)
            if ack is not None:
                break
        with self._cond:
            for envelope_id in ids:
                self._acks.pop(envelope_id, None)
        return delivery

    def _send(self, envelope: dict) -> _Link | None:
        """Write the envelope to the newest open connection, waiting for one when there is none."""
        deadline = time.monotonic() + self.connect_wait
        text = json.dumps(envelope)
        while not self._stopping.is_set():
            with self._cond:
                ready = [l for l in self._links if l.alive and l.refreshing_since is None] or \
                        [l for l in self._links if l.alive]
                if not ready:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._cond.wait(min(left, 0.5))
                    continue
                link = ready[-1]
            try:
                link.ws.send_text(text)
                return link
            except websocket.Closed:
                self._lost(link)
        return None

    def _wait_ack(self, ids: list[str], link: _Link, timeout: float, give_up_on_loss: bool) -> dict | None:
        """The first ack for any attempt of this request; None when time runs out (or, for an event, which
        will be retried, when its connection dies: a command's ack may still come on the app's new one)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for envelope_id in ids:
                    if self._acks.get(envelope_id) is not None:
                        return self._acks[envelope_id]
                left = deadline - time.monotonic()
                if left <= 0 or (give_up_on_loss and not link.alive):
                    return None
                self._cond.wait(left)

    @staticmethod
    def _result(kind: str, payload: Any, ack: dict | None, started: float, error: str | None) -> Delivery:
        latency = time.monotonic() - started
        if ack is None:
            return Delivery(kind, payload, None, "", latency, error=error or "no_ack")
        body = json.dumps(ack["payload"]) if ack.get("payload") is not None else ""
        return Delivery(kind, payload, 200, body, latency, extra={"envelope_id": ack.get("envelope_id")})

    def _journal(self, delivery: Delivery, envelope: dict, link: _Link | None) -> None:
        self.state.record({"kind": "delivery", "type": delivery.kind, "payload": delivery.payload,
                           "status": delivery.status, "response_body": delivery.body,
                           "latency": round(delivery.latency, 6), "error": delivery.error, "ok": delivery.ok,
                           "transport": "socket_mode", "envelope_id": envelope["envelope_id"],
                           "envelope_type": envelope["type"], "retry_attempt": envelope.get("retry_attempt"),
                           "connection": link.id if link else None})

    # ----- connections ------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), name="socket-mode-link", daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        try:
            target, headers = websocket.read_request(sock)
            ticket = (parse_qs(urlsplit(target).query).get("ticket") or [""])[0]
            with self._cond:
                issued = self._tickets.pop(ticket, None)
            if issued is None or time.monotonic() - issued > TICKET_LIFETIME_S or \
                    headers.get("upgrade", "").lower() != "websocket":
                websocket.refuse(sock, "401 Unauthorized", "invalid or used ticket")
                sock.close()
                return
            websocket.answer_upgrade(sock, headers)
        except (websocket.Closed, OSError):
            sock.close()
            return
        link = _Link(websocket.WebSocket(sock))
        with self._cond:
            self._links.append(link)
            count = sum(1 for l in self._links if l.alive)
            self._cond.notify_all()
        self.state.record({"kind": "socket", "action": "connected", "connection": link.id})
        try:
            link.ws.send_text(json.dumps({"type": "hello", "num_connections": count,
                                          "debug_info": {"host": "applink-sandbox", "build_number": 1,
                                                         "approximate_connection_time": int(self.refresh_every or 18060)},
                                          "connection_info": {"app_id": APP_ID}}))
            self._read(link)
        except websocket.Closed:
            pass
        finally:
            self._lost(link)

    def _read(self, link: _Link) -> None:
        while True:
            opcode, data = link.ws.receive()
            if opcode == websocket.PING:
                link.ws.pong(data)
            elif opcode == websocket.CLOSE:
                return
            elif opcode == websocket.TEXT:
                self._ack(link, data)

    def _ack(self, link: _Link, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._cond:
            if envelope_id not in self._acks or self._acks[envelope_id] is not None:
                return
            if self._lose_acks:
                self._lose_acks -= 1
                lost = True
            else:
                self._acks[envelope_id] = message
                self._cond.notify_all()
                lost = False
        self.state.record({"kind": "socket", "action": "ack_lost" if lost else "ack", "envelope_id": envelope_id,
                           "connection": link.id})

    def _lost(self, link: _Link) -> None:
        with self._cond:
            if not link.alive:
                return
            link.alive = False
            self._links.remove(link)
            self._cond.notify_all()
        link.ws.drop()
        self.state.record({"kind": "socket", "action": "closed", "connection": link.id})

    def _disconnect_message(self, link: _Link, reason: str) -> None:
        if reason == "refresh_requested":
            link.refreshing_since = time.monotonic()
        try:
            link.ws.send_text(json.dumps({"type": "disconnect", "reason": reason,
                                          "debug_info": {"host": "applink-sandbox"}}))
        except websocket.Closed:
            self._lost(link)
        self.state.record({"kind": "socket", "action": f"disconnect:{reason}", "connection": link.id})

    def _housekeeping(self) -> None:
        """Periodic refresh, and closing a refreshed connection once the app has a newer one."""
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            with self._cond:
                links = list(self._links)
                fresh = [l for l in links if l.alive and l.refreshing_since is None]
                busy = {l.id for l in links} if any(a is None for a in self._acks.values()) else set()
            for link in links:
                if self.refresh_every and link.refreshing_since is None:
                    age = now - link.opened
                    if age >= self.refresh_every - WARNING_LEAD_S and not link.warned:
                        link.warned = True
                        self._disconnect_message(link, "warning")
                    if age >= self.refresh_every:
                        self._disconnect_message(link, "refresh_requested")
                if link.refreshing_since is not None and (
                        (fresh and link.id not in busy) or now - link.refreshing_since > 30):
                    link.ws.close(1000, "refreshed")
                    self._lost(link)


ENVELOPE_TYPES = {"slash_command": ("slash_commands", True), "view_submission": ("interactive", True),
                  "block_suggestion": ("interactive", True)}


class SocketDeliverer:
    """Stands in for `Deliverer` in a Socket Mode workspace: same `send`, envelopes instead of HTTP."""

    bot_url = "socket-mode"  # truthy: the bot is reachable

    def __init__(self, gateway: SocketModeGateway) -> None:
        self.gateway = gateway

    def send(self, kind: str, payload: Any, body: bytes, content_type: str, **signing: Any) -> Delivery:
        """Signing options have no meaning here: a Socket Mode connection is authenticated once."""
        if kind.startswith("event:"):
            envelope_type, accepts = "events_api", False
        elif kind == "url_verification" or payload is None:
            raise RuntimeError(f"{kind} has no Socket Mode form")
        else:
            envelope_type, accepts = ENVELOPE_TYPES.get(kind, ("interactive", False))
        return self.gateway.deliver(kind, envelope_type, payload, accepts)
