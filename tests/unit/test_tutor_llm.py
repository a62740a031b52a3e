"""Optional generative answers against a fake OpenAI-compatible endpoint on 127.0.0.1 (never a real
one): only the retrieved passages and the question in the prompt, the same citations, the model's text
escaped, and the extractive answer on an HTTP error, a bad reply or a timeout."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import ConfigError, load_settings
from bot.tutor.answer import Answer, Citation
from bot.tutor.llm import AnswerWriter, writer_for
from bot.tutor.passages import Passage


class FakeEndpoint:
    """`/v1/chat/completions`: answers `reply` (a dict, or an int status), or hangs until closed."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply: dict | int | None = {"choices": [{"message": {"role": "assistant", "content": "Lower it."}}]}
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if fake.reply is None:
                    fake.release.wait(30)  # a hung endpoint: the client's timeout must end the wait
                    return
                status = fake.reply if isinstance(fake.reply, int) else 200
                data = b"{}" if isinstance(fake.reply, int) else json.dumps(fake.reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def endpoint():
    fake = FakeEndpoint()
    yield fake
    fake.close()


def extractive() -> Answer:
    passage = Passage(lesson="3.2", section="Learning rate", kind="section",
                      text="A learning rate of 2e-5 to 5e-5 is typical.")
    return Answer(True, "> A learning rate of 2e-5 ...", [Citation("3.2", "Learning rate", 0.7)], sources=[passage])


def test_a_generated_answer_comes_from_the_retrieved_passages_with_the_same_citations(endpoint):
    writer = AnswerWriter(endpoint.url, "tiny", api_key="k", timeout=5)
    answer = writer.write("my loss explodes, what lr?", extractive())
    assert answer.generated and "Lower it." in answer.text and "[1] Lesson 3.2 · Learning rate" in answer.text
    assert answer.citations == extractive().citations
    [request] = endpoint.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k"
    assert request["body"]["model"] == "tiny"
    user = request["body"]["messages"][-1]["content"]
    assert "A learning rate of 2e-5 to 5e-5 is typical." in user and "my loss explodes" in user


def test_the_models_text_is_escaped(endpoint):
    endpoint.reply = {"choices": [{"message": {"content": "<!channel> look <@U0ADA>"}}]}
    answer = AnswerWriter(endpoint.url, "tiny", timeout=5).write("q", extractive())
    assert "<!channel>" not in answer.text and "&lt;!channel&gt;" in answer.text


@pytest.mark.parametrize("reply", [500, {"choices": []}, {"choices": [{"message": {"content": "  "}}]}, None])
def test_any_failure_or_timeout_falls_back_to_the_extractive_answer(endpoint, reply):
    endpoint.reply = reply
    original = extractive()
    answer = AnswerWriter(endpoint.url, "tiny", timeout=0.5).write("q", original)
    assert answer is original and not answer.generated
    assert len(endpoint.requests) == 1


def test_declines_are_never_sent_to_the_endpoint(endpoint):
    declined = Answer(False, "The course does not cover that.", kind="declined")
    assert AnswerWriter(endpoint.url, "tiny").write("who won the cup", declined) is declined
    assert not endpoint.requests


def test_settings_need_both_url_and_model_and_default_to_off():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert writer_for(load_settings(base)) is None
    on = load_settings({**base, "TUTOR_LLM_BASE_URL": "http://127.0.0.1:9/v1", "TUTOR_LLM_MODEL": "m"})
    assert writer_for(on).url == "http://127.0.0.1:9/v1/chat/completions"
    with pytest.raises(ConfigError, match="TUTOR_LLM_MODEL"):
        load_settings({**base, "TUTOR_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    with pytest.raises(ConfigError, match="TUTOR_LLM_BASE_URL"):
        load_settings({**base, "TUTOR_LLM_BASE_URL": "localhost:9", "TUTOR_LLM_MODEL": "m"})
