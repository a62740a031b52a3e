"""The HTTP front: Bolt's WSGI adapter behind waitress (a production WSGI server), plus `/healthz`.

One path, `/slack/events`, takes commands, interactivity and events, as Slack's manifest sets it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are far smaller; anything bigger is refused.
# Slack's signing headers, exactly: Unix seconds in ASCII digits, and `v0=` + a hex SHA-256. Anything else
# is refused before Bolt sees it, because Bolt's verifier raises (rather than answers False) on some of it.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def well_formed_signing_headers(environ: dict) -> bool:
    """Whether both Slack signing headers are present and in Slack's grammar (not whether they verify)."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    return bool(_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature))


class TutorWSGI:
    """Routes `/healthz` and `/slack/*`; refuses oversized bodies before Bolt reads them."""

    def __init__(self, app: App, health=None):
        self.slack = SlackRequestHandler(app, path="/slack/events")
        self.health = health or (lambda: {"ok": True})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            try:
                body, status = self.health(), "200 OK"
            except Exception as error:  # a health check reports, it never raises
                body, status = {"ok": False, "error": type(error).__name__}, "503 Service Unavailable"
            payload = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"request body too large"]
        if environ.get("REQUEST_METHOD") == "POST" and not well_formed_signing_headers(environ):
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"invalid request signature"]
        try:
            return self.slack(environ, start_response)
        except (ValueError, TypeError, AttributeError):  # Bolt parses the body before checking its signature
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"malformed request body"]


class HTTPServer:
    """waitress's HTTP channels and worker threads, driven by a serving loop owned here end to end.

    waitress has no public graceful stop, and closing its sockets from another thread races its loop and
    its workers (EBADF from the trigger, a traceback at Ctrl-C, a CI teardown error). Here one thread, the
    loop's, does every close, and only after every worker thread has exited: nothing else can touch a
    closed descriptor. `stop()` only asks and waits.
    """

    POLL_S = 0.05  # how soon the loop notices a stop request

    def __init__(self, wsgi_app, host: str = "0.0.0.0", port: int = 3000, threads: int = 16,
                 grace_s: float = 5.0):
        from waitress.server import create_server

        self._server = create_server(
            wsgi_app,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY_BYTES,
            ident="finetune-tutor",
            clear_untrusted_proxy_headers=True,
        )
        self.grace_s = grace_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.effective_port

    @property
    def url(self) -> str:
        host = self._server.effective_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def start(self) -> "HTTPServer":
        self._thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve until `stop()`, then let the requests being answered finish and close everything."""
        try:
            while not self._stopping.is_set():
                self._poll()
        finally:
            self._shut_down()

    def stop(self) -> None:
        """Ask the loop to finish (in-flight requests complete, up to `grace_s`) and wait for it."""
        self._stopping.set()
        if self._thread is None:  # never started: no loop runs, so this thread may close everything
            self._shut_down()
        else:
            self._thread.join(timeout=3 * self.grace_s)

    def _poll(self) -> None:
        from waitress import wasyncore

        wasyncore.loop(timeout=self.POLL_S, map=self._server._map, count=1)

    def _shut_down(self) -> None:
        """In the loop's thread: stop accepting, keep serving until the workers have exited, close all."""
        from waitress import wasyncore

        server = self._server
        server.accepting = False  # no new connections; the listening socket is closed with the rest
        server.add_task = lambda channel: channel.cancel()  # a request read from now on is refused, not queued
        workers_done = threading.Event()
        threading.Thread(target=lambda: (server.task_dispatcher.shutdown(cancel_pending=False, timeout=self.grace_s),
                                         workers_done.set()), name="http-stop", daemon=True).start()
        deadline = time.monotonic() + 2 * self.grace_s
        # Workers still answering need the loop to flush what they write; then flush what is left to send.
        while not workers_done.is_set() or (self._unsent() and time.monotonic() < deadline):
            self._poll()
        leftover = server.task_dispatcher.threads
        if leftover:  # a request outran the grace: its thread may still pull the trigger, so keep that open
            log.warning("%d request(s) still running after %.0f s; their connections are closed",
                        len(leftover), self.grace_s)
            server._map.pop(server.trigger._fileno, None)
        wasyncore.close_all(server._map)

    def _unsent(self) -> bool:
        return any(getattr(channel, "total_outbufs_len", 0) for channel in list(self._server._map.values()))
