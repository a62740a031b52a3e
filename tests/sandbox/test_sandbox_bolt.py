"""A real Bolt app against the sandbox: Bolt's own verification and routing accept our payloads."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient


@pytest.fixture
def bolt_app(ws):
    app = App(signing_secret=ws.signing_secret, client=WebClient(base_url=ws.api_url, token=ws.bot_token))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            response = app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in self.headers.items()}))
            data = response.body.encode()
            self.send_response(response.status)
            for name, values in response.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    ws.bot_url = f"http://127.0.0.1:{httpd.server_address[1]}/slack/events"
    yield app
    httpd.shutdown()
    httpd.server_close()


def test_bolt_handles_commands_clicks_modals_and_events(ws, bolt_app):
    app = bolt_app

    @app.command("/lesson")
    def lesson(ack, body, client):
        ack("On its way")
        client.chat_postMessage(channel=body["user_id"], text="Lesson 1", blocks=[
            {"type": "actions", "elements": [{"type": "button", "action_id": "next",
                                              "text": {"type": "plain_text", "text": "Next"}, "value": "1.2"}]}])
        client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": "feedback", "title": {"type": "plain_text", "text": "Feedback"},
            "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "How?"},
                        "element": {"type": "plain_text_input", "action_id": "a"}}]})

    @app.action("next")
    def next_lesson(ack, body, respond):
        ack()
        respond(replace_original=True, text=f"Opening {body['actions'][0]['value']}")

    @app.view("feedback")
    def feedback(ack, view):
        text = view["state"]["values"]["b"]["a"]["value"]
        ack(response_action="errors", errors={"b": "Too short"}) if len(text) < 3 else ack()

    @app.event("app_home_opened")
    def home(event, client):
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}]})

    assert ws.slash("U0ADA", "/lesson").status == 200
    assert ws.messages("C0GENERAL")[0]["text"] == "On its way"
    [message] = ws.wait_for(lambda: ws.messages("U0ADA"))
    [modal] = ws.wait_for(lambda: ws.open_views("U0ADA"))
    assert ws.click("U0ADA", message, "next").status == 200
    assert ws.wait_for(lambda: ws.messages("U0ADA")[0]["text"] == "Opening 1.2")
    assert ws.submit_view("U0ADA", modal, {"b": "no"}).json["errors"] == {"b": "Too short"}
    assert ws.submit_view("U0ADA", modal, {"b": "great"}).status == 200
    assert ws.open_views("U0ADA") == []
    ws.open_home("U0LIN")
    assert ws.wait_for(lambda: ws.home_view("U0LIN"))["blocks"][0]["text"]["text"] == "Welcome"
