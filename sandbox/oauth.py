"""Several sandbox workspaces behind one Slack front: the Web API routed by token, and OAuth v2 install.

    org = SandboxOrg(client_id="111.222", client_secret="shh", signing_secret="sig",
                     redirect_uri="http://127.0.0.1:3000/slack/oauth_redirect").start()
    org.api_url         # the bot's SLACK_API_URL: `/api/<method>` goes to the workspace the token belongs to
    org.authorize_url   # `/oauth/v2/authorize`: a page with an Allow button per workspace
    org.workspaces["T0SECOND"]   # each a `sandbox.driver.Workspace` (own people, messages, journal)

As Slack does (docs.slack.dev/authentication/installing-with-oauth): the authorize page redirects to
the app's redirect URL with `code` and `state`; `oauth.v2.access` (client id and secret as HTTP Basic
auth or as arguments) trades a code once, within 10 minutes, for a bot token that works in that
workspace only. `revoke(team, "tokens_revoked" | "app_uninstalled")` kills the token and tells the bot.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from sandbox.driver import Workspace
from sandbox.httpbodies import bearer_token, parse_args
from sandbox.people import APP_ID, BOT_USER_ID

CODE_LIFETIME_S = 600.0
DEFAULT_TEAMS = [("T0SANDBOX", "Sandbox Co", "sandbox"), ("T0SECOND", "Second Co", "second")]


class SandboxOrg:
    """Workspaces that an app can be installed into, and the HTTP front that routes to them."""

    def __init__(self, *, client_id: str, client_secret: str, signing_secret: str, redirect_uri: str | None = None,
                 teams: list[tuple[str, str, str]] | None = None) -> None:
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.workspaces: dict[str, Workspace] = {}
        for team_id, name, domain in teams or DEFAULT_TEAMS:
            ws = Workspace(signing_secret=signing_secret, bot_token=_dead_token())
            ws.state.team = {"id": team_id, "name": name, "domain": domain}
            self.workspaces[team_id] = ws
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.installs: list[dict] = []  # every oauth.v2.access answer, for tests
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Front)
        self.httpd.daemon_threads = True
        self.httpd.org = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth/v2/authorize"

    def start(self) -> "SandboxOrg":
        for ws in self.workspaces.values():
            ws.start()
            ws.state.hooks_url = f"{self.url}/"  # one hooks host for every workspace, as Slack has
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox-org", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        for ws in self.workspaces.values():
            ws.stop()

    def set_bot_url(self, url: str) -> None:
        for ws in self.workspaces.values():
            ws.bot_url = url

    def workspace_for_token(self, token: str | None) -> Workspace | None:
        for ws in self.workspaces.values():
            if token and secrets.compare_digest(token, ws.state.bot_token):
                return ws
        return None

    # ----- the install flow -------------------------------------------------------------------
    def approve(self, args: dict) -> tuple[int, dict]:
        """The person pressed Allow (or Cancel): where their browser goes next."""
        redirect_uri = args.get("redirect_uri") or self.redirect_uri
        if args.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "invalid_client_id"}
        if self.redirect_uri and redirect_uri != self.redirect_uri:
            return 400, {"error": "bad_redirect_uri"}
        team_id = args.get("team", "")
        if team_id not in self.workspaces:
            return 400, {"error": "invalid_team"}
        query = {"state": args.get("state", "")}
        if args.get("decision") == "deny":
            query["error"] = "access_denied"
        else:
            code = f"{secrets.randbelow(10**12)}.{secrets.token_hex(20)}"
            with self.lock:
                self.codes[code] = {"team": team_id, "scope": args.get("scope", ""), "created": time.monotonic(),
                                    "user": args.get("user") or "U0ADA", "redirect_uri": args.get("redirect_uri"),
                                    "used": False}
            query["code"] = code
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {"location": f"{redirect_uri}{separator}{urlencode(query)}"}

    def access(self, args: dict, authorization: str | None) -> dict:
        """`oauth.v2.access`: a code for a bot token, once."""
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if not client_secret or not secrets.compare_digest(client_secret, self.client_secret):
            return {"ok": False, "error": "bad_client_secret"}
        with self.lock:
            grant = self.codes.get(str(args.get("code") or ""))
            if grant is None or grant["used"] or time.monotonic() - grant["created"] > CODE_LIFETIME_S:
                return {"ok": False, "error": "invalid_code"}
            if grant["redirect_uri"] and args.get("redirect_uri") not in (None, grant["redirect_uri"]):
                return {"ok": False, "error": "bad_redirect_uri"}
            grant["used"] = True
        ws = self.workspaces[grant["team"]]
        token = f"xoxb-{grant['team']}-{secrets.token_hex(12)}"
        ws.state.bot_token = token  # a reinstall replaces the workspace's token, as Slack's does
        answer = {"ok": True, "app_id": APP_ID, "authed_user": {"id": grant["user"]}, "scope": grant["scope"],
                  "token_type": "bot", "access_token": token, "bot_user_id": BOT_USER_ID,
                  "team": {"id": ws.state.team["id"], "name": ws.state.team["name"]},
                  "enterprise": None, "is_enterprise_install": False}
        with self.lock:
            self.installs.append(answer)
        ws.state.record({"kind": "oauth", "method": "oauth.v2.access", "ok": True, "team": grant["team"]})
        return answer

    def revoke(self, team_id: str, event: str = "app_uninstalled"):
        """Kill the workspace's bot token, then send the bot the event Slack sends for it."""
        ws = self.workspaces[team_id]
        ws.state.bot_token = _dead_token()
        if event == "tokens_revoked":
            return ws.event("tokens_revoked", tokens={"oauth": [], "bot": [BOT_USER_ID]})
        return ws.event("app_uninstalled")

    def authorize_page(self, query: dict) -> tuple[int, str]:
        if query.get("client_id") != self.client_id:
            return 400, "<p>invalid_client_id</p>"
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(query.get(k, ""))}">'
                         for k in ("client_id", "scope", "user_scope", "state", "redirect_uri"))
        forms = "".join(
            f'<form method="post" action="/oauth/v2/authorize">{hidden}'
            f'<input type="hidden" name="team" value="{html.escape(team)}">'
            f'<button name="decision" value="allow">Allow in {html.escape(ws.state.team["name"])}</button>'
            f'<button name="decision" value="deny">Cancel</button></form>'
            for team, ws in self.workspaces.items())
        scopes = ", ".join(html.escape(s) for s in query.get("scope", "").split(",") if s)
        return 200, (f'<!doctype html><meta charset="utf-8"><title>Install the app</title>'
                     f"<h1>The app is requesting permission to access a workspace</h1><p>Scopes: {scopes}</p>{forms}")


def _dead_token() -> str:
    """A token nobody holds: the workspace's state before an install and after a revocation."""
    return "xoxb-none-" + secrets.token_hex(16)


class _Front(BaseHTTPRequestHandler):
    server_version = "SlackSandboxOrg/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: each workspace's journal is the log."""

    @property
    def org(self) -> SandboxOrg:
        return self.server.org  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, verb: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if verb == "POST" and length else b""
        content_type = self.headers.get("Content-Type") or ""
        if parts.path == "/oauth/v2/authorize" and verb == "GET":
            status, page = self.org.authorize_page(dict(parse_qsl(parts.query)))
            self._send(status, page.encode(), "text/html; charset=utf-8")
        elif parts.path == "/oauth/v2/authorize":
            status, answer = self.org.approve(dict(parse_qsl(body.decode())))
            if status == 302:
                self.send_response(302)
                self.send_header("Location", answer["location"])
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(status, json.dumps(answer).encode(), "application/json")
        elif parts.path.startswith("/api/"):
            self._api(parts.path[len("/api/"):], parts.query, body, content_type)
        elif parts.path.startswith("/response/") and verb == "POST":
            self._response(parts.path[len("/response/"):], body, content_type)
        else:
            self._send(404, b"not found", "text/plain")

    def _api(self, method: str, query: str, body: bytes, content_type: str) -> None:
        try:
            args = parse_args(query, body, content_type)
        except (ValueError, UnicodeDecodeError):
            self._json(200, {"ok": False, "error": "invalid_json"})
            return
        if method == "oauth.v2.access":
            self._json(200, self.org.access(args, self.headers.get("Authorization")))
            return
        token = bearer_token(self.headers.get("Authorization")) or args.pop("token", None)
        args.pop("token", None)
        ws = self.org.workspace_for_token(token)
        if ws is None:
            self._json(200, {"ok": False, "error": "invalid_auth" if token else "not_authed"})
            return
        status, headers, answer = ws._server.webapi.call(method, args, token)
        self._json(status, answer, headers)

    def _response(self, token: str, body: bytes, content_type: str) -> None:
        """A response_url: answered by the workspace that issued it (its own /response/ endpoint)."""
        ws = next((w for w in self.org.workspaces.values() if token in w.state.response_urls), None)
        if ws is None:
            self._json(404, {"ok": False, "error": "expired_url"})
            return
        request = urllib.request.Request(f"{ws.state.base_url}response/{token}", data=body,
                                         headers={"Content-Type": content_type}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, data, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, data, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        self._send(status, data, kind or "application/json")

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
