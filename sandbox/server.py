"""The sandbox's HTTP server: routes requests to the Web API, uploads, files, response URLs and the UI.

Routes
  POST|GET /api/<method>           Slack Web API (form, JSON or multipart; Bearer or `token` arg)
  POST     /upload/<file_id>       step 2 of the external upload (raw bytes or multipart)
  GET      /files/<id>/[download/]<name>   file bytes; needs `Authorization: Bearer <bot token>`
  POST     /response/<token>       response_url
  GET      /ui/files/<id>/<name>   file bytes for the browser page, no token, loopback clients only
  GET      /ui/...                 JSON for the browser UI, `/ui/events` is a server-sent-events stream
  POST     /ui/...                 what a person does in the browser (see `uiroutes`)
  GET      /, /<file>              static files from sandbox/static/
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox import guard, responseurls, uiroutes
from sandbox.delivery import Deliverer
from sandbox.httpbodies import bearer_token, parse_args, upload_bytes
from sandbox.interactions import Interactions
from sandbox.state import WorkspaceState
from sandbox.webapi import WebApi

STATIC_DIR = Path(__file__).with_name("static")
SSE_KEEPALIVE_S = 15.0
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
PLACEHOLDER_PAGE = b"""<!doctype html><meta charset="utf-8"><title>Sandbox workspace</title>
<h1>Sandbox Co</h1><p>The browser UI is not installed. JSON: <a href="/ui/workspace">/ui/workspace</a>,
<a href="/ui/messages">/ui/messages</a>, <a href="/ui/journal">/ui/journal</a>; live changes at /ui/events.</p>"""


class SandboxServer:
    """One sandbox workspace served over HTTP on loopback (any `host` only with `public`; see `guard`)."""

    def __init__(self, *, signing_secret: str, bot_token: str, bot_url: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, static_dir: Path | None = None,
                 delivery_timeout: float = 10.0, public: bool = False) -> None:
        guard.check_bind(host, public)
        self.public = public
        self.state = WorkspaceState(bot_token=bot_token, signing_secret=signing_secret)
        self.webapi = WebApi(self.state)
        self.deliverer = Deliverer(self.state, bot_url, delivery_timeout)
        self.interactions = Interactions(self.state, self.deliverer)
        self.static_dir = static_dir or STATIC_DIR
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.sandbox = self  # type: ignore[attr-defined]
        self.state.base_url = f"{self.url}/"
        self.hosts = guard.allowed_hosts(self.httpd.server_address[0], self.port)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:8800."""
        host = self.httpd.server_address[0]
        return f"http://{host}:{self.port}"

    def start(self) -> "SandboxServer":
        """Serve in a background thread (for tests and the driver)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.stopping.set()
        self.state.notify("shutdown", {})
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def serve(*, host: str = "127.0.0.1", port: int = 8800, bot_url: str | None = None,
          signing_secret: str, bot_token: str, public: bool = False) -> None:
    """Run a sandbox in the foreground until interrupted (used by `python -m sandbox` and the CLI)."""
    server = SandboxServer(signing_secret=signing_secret, bot_token=bot_token, bot_url=bot_url,
                           host=host, port=port, public=public)
    print(f"sandbox workspace at {server.url}/  (Web API {server.url}/api/, bot at {bot_url or 'not set'})",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.state.notify("shutdown", {})
        server.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackSandbox/1.0"

    @property
    def sandbox(self) -> SandboxServer:
        return self.server.sandbox  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class name
        """Quiet: the journal is the log."""

    # ----- plumbing ---------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, body: object, headers: dict | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ----- routing ----------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, verb: str) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parts.query
        body = self._body() if verb == "POST" else b""
        content_type = self.headers.get("Content-Type") or ""
        sandbox = self.sandbox
        refused = guard.refusal(self.headers.get("Host"), self.headers.get("Origin"), sandbox.hosts, sandbox.public)
        if refused:
            self.send_json(403, {"ok": False, "error": "forbidden", "message": refused})
            return
        if verb == "POST" and path.startswith("/ui/") and path != "/ui/upload" and not guard.is_json(content_type):
            self.send_json(415, {"ok": False, "error": "unsupported_media_type",
                                 "message": "send the action as JSON with Content-Type: application/json"})
            return
        try:
            if path.startswith("/api/"):
                self._api(path[len("/api/"):], query, body, content_type)
            elif path.startswith("/upload/") and verb == "POST":
                self._upload(path[len("/upload/"):], body, content_type)
            elif path.startswith("/files/") and verb == "GET":
                self._download(path[len("/files/"):])
            elif path.startswith("/response/") and verb == "POST":
                self._response_url(path[len("/response/"):], body, content_type)
            elif path.startswith("/ui/files/") and verb == "GET":
                self._page_file(path[len("/ui/files/"):])
            elif path == "/ui/events" and verb == "GET":
                self._events(query)
            elif path.startswith("/ui/"):
                status, answer = uiroutes.handle(self.sandbox, verb, path[len("/ui/"):],
                                                 dict(parse_qsl(query)), body)
                self.send_json(status, answer)
            elif verb == "GET":
                self._static(path)
            else:
                self.send_json(404, {"ok": False, "error": "not_found"})
        except (BrokenPipeError, ConnectionResetError):
            return

    def _api(self, method: str, query: str, body: bytes, content_type: str) -> None:
        try:
            args = parse_args(query, body, content_type)
        except (ValueError, UnicodeDecodeError):
            self.send_json(200, {"ok": False, "error": "invalid_json"})
            return
        token = bearer_token(self.headers.get("Authorization")) or args.pop("token", None)
        args.pop("token", None)
        status, headers, answer = self.sandbox.webapi.call(method, args, token)
        self.send_json(status, answer, headers)

    def _upload(self, file_id: str, body: bytes, content_type: str) -> None:
        state = self.sandbox.state
        data = upload_bytes(body, content_type)
        with state.lock:
            pending = state.pending_uploads.get(file_id)
            if pending is not None:
                pending["data"] = data
        state.record({"kind": "upload", "file_id": file_id, "size": len(data), "ok": pending is not None})
        if pending is None:
            self.send_bytes(404, b"file not found", "text/plain")
        else:
            self.send_bytes(200, f"OK - {len(data)}".encode(), "text/plain")

    def _download(self, rest: str) -> None:
        state = self.sandbox.state
        file_id = rest.split("/", 1)[0]
        authorised = bearer_token(self.headers.get("Authorization")) == state.bot_token
        with state.lock:
            record = state.files.get(file_id)
            data = state.file_bytes.get(file_id)
        state.record({"kind": "download", "file_id": file_id, "authorised": authorised,
                      "ok": authorised and record is not None})
        if not authorised:
            self.send_bytes(403, b"forbidden: send Authorization: Bearer <bot token>", "text/plain")
        elif record is None or data is None:
            self.send_bytes(404, b"file not found", "text/plain")
        else:
            self.send_bytes(200, data, record["mimetype"])

    def _page_file(self, rest: str) -> None:
        """The page shows plots and offers downloads without the bot token, so only a browser on
        this machine may read them (the sandbox may listen on 0.0.0.0 inside a container)."""
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            self.send_bytes(403, b"forbidden: files are served to loopback clients only", "text/plain")
            return
        found = uiroutes.file_for_page(self.sandbox, rest.split("/", 1)[0])
        if found is None:
            self.send_bytes(404, b"file not found", "text/plain")
            return
        record, data = found
        self.send_response(200)
        self.send_header("Content-Type", record.get("mimetype") or "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if record.get("mimetype") not in INLINE_IMAGE_TYPES:  # an SVG or HTML file must not run here
            self.send_header("Content-Disposition", "attachment")
        self.end_headers()
        self.wfile.write(data)

    def _response_url(self, token: str, body: bytes, content_type: str) -> None:
        try:
            args = parse_args("", body, content_type or "application/json")
        except (ValueError, UnicodeDecodeError):
            self.send_json(400, {"ok": False, "error": "invalid_json"})
            return
        if "payload" in args and isinstance(args["payload"], str):
            args = json.loads(args["payload"])
        status, answer = responseurls.respond(self.sandbox.state, token, args)
        self.send_json(status, answer)

    def _events(self, query: str) -> None:
        """Server-sent events: one `event:` per change (journal, message, view, user)."""
        state = self.sandbox.state
        after = self.headers.get("Last-Event-ID") or dict(parse_qsl(query)).get("after")
        seq = int(after) if after and after.isdigit() else state.last_change_seq()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(b": connected\n\n")
        self.wfile.flush()
        while not self.sandbox.stopping.is_set():
            changes = state.changes_since(seq, timeout=SSE_KEEPALIVE_S)
            if not changes:
                self.wfile.write(b": keepalive\n\n")
            for change in changes:
                seq = change["seq"]
                frame = f"id: {seq}\nevent: {change['kind']}\ndata: {json.dumps(change['data'])}\n\n"
                self.wfile.write(frame.encode("utf-8"))
            self.wfile.flush()

    def _static(self, path: str) -> None:
        root = self.sandbox.static_dir.resolve()
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file():
            if relative == "index.html":
                self.send_bytes(200, PLACEHOLDER_PAGE, "text/html; charset=utf-8")
            else:
                self.send_bytes(404, b"not found", "text/plain")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_bytes(200, target.read_bytes(), content_type)
