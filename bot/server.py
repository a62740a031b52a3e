"""The HTTP front: Bolt's WSGI adapter behind waitress (a production WSGI server), plus `/healthz`.

One path, `/slack/events`, takes commands, interactivity and events, as Slack's manifest sets it.
"""

from __future__ import annotations

import json
import logging
import re
import threading

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
    """waitress in a background thread (or the foreground with `serve_forever`)."""

    def __init__(self, wsgi_app, host: str = "0.0.0.0", port: int = 3000, threads: int = 16):
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
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        """Let in-flight requests finish, then close every socket from inside the loop's own thread.

        Closing waitress's sockets from this thread races the loop and the worker threads: a worker still
        writing a response pulls the (closed) trigger, a traceback at every Ctrl-C; a kept-alive client
        connection keeps the loop running. A thunk on the trigger runs in the loop, which then ends cleanly.
        """
        from waitress import wasyncore

        self._server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        if self._thread and self._thread.is_alive():
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(self._server._map)
