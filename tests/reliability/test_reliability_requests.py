"""Requests the bot must refuse (forged, stale, unsigned, malformed, oversized) store nothing and call
nothing; Slack's retries and double clicks apply once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

from sandbox import payloads
from sandbox.delivery import FORM, JSON
from sandbox.signing import signed_headers
from tests.reliability.conftest import LIN, SECRET, stored_rows, web_api_calls

SLASH_BODY = urllib.parse.urlencode({"command": "/lesson", "text": "1.1", "user_id": LIN, "team_id": "T0SANDBOX",
                                     "channel_id": "C0GENERAL", "trigger_id": "1.2.3",
                                     "response_url": "http://127.0.0.1:9/nowhere"}).encode()


def assert_nothing_happened(tutor) -> None:
    tutor.settle()  # every listener the bot started (if any) has finished
    assert sum(stored_rows(tutor).values()) == 0, stored_rows(tutor)
    # auth.test is Bolt's read-only "who am I", made for any signed request; anything else is an effect
    assert [c["method"] for c in web_api_calls(tutor) if c["method"] != "auth.test"] == []


def raw_signed_headers(body: bytes) -> dict:
    """Slack's v0 signature over the raw bytes (the sandbox helper needs UTF-8 text)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest}


def send_raw(tutor, body: bytes, headers: dict, content_type: str = FORM):
    return tutor.ws.deliver("raw", None, body, content_type, sign=False, extra_headers=headers)


def test_forged_signature_is_refused(backend_tutor):
    delivery = backend_tutor.ws.slash(LIN, "/lesson", "1.1", signing_secret="not-the-secret")
    assert delivery.status == 401
    assert_nothing_happened(backend_tutor)


def test_stale_timestamp_is_refused_even_when_signed_right(backend_tutor):
    six_minutes_ago = int(time.time()) - 6 * 60
    delivery = backend_tutor.ws.slash(LIN, "/lesson", "1.1", timestamp=six_minutes_ago)
    assert delivery.status == 401
    assert_nothing_happened(backend_tutor)


def test_replayed_body_with_its_old_headers_is_refused(backend_tutor):
    """A captured request replayed later: the signature is genuine, the timestamp too old."""
    headers = signed_headers(SECRET, SLASH_BODY, int(time.time()) - 3600)
    assert send_raw(backend_tutor, SLASH_BODY, headers).status == 401
    assert_nothing_happened(backend_tutor)


@pytest.mark.parametrize("drop", ["X-Slack-Signature", "X-Slack-Request-Timestamp", "both"])
def test_missing_headers_are_refused(backend_tutor, drop):
    headers = signed_headers(SECRET, SLASH_BODY)
    for name in (["X-Slack-Signature", "X-Slack-Request-Timestamp"] if drop == "both" else [drop]):
        headers.pop(name)
    assert send_raw(backend_tutor, SLASH_BODY, headers).status == 401
    assert_nothing_happened(backend_tutor)


def slash_body(response_url: str, text: str = "9.9") -> bytes:
    return urllib.parse.urlencode({"command": "/lesson", "text": text, "user_id": LIN, "team_id": "T0SANDBOX",
                                   "channel_id": "C0GENERAL", "trigger_id": "1.2.3",
                                   "response_url": response_url}).encode()


def response_url_posts(tutor, token: str) -> list[dict]:
    return [e for e in tutor.ws.journal(kind="response_url") if e["token"] == token]


NOW = str(int(time.time()))
MALFORMED_HEADERS = {
    "words": ("yesterday", None),
    "superscript-digit": ("\u00b2", None),              # isdigit() says yes, int() says no
    "5000-digits": ("1" * 5000, None),                  # over Python's int() conversion limit
    "signed-decimal": ("+" + NOW, None),
    "non-ascii-signature": (None, "v0=\u00e9"),         # hmac.compare_digest raises TypeError on it
    "short-signature": (None, "v0=abc"),
    "no-version": (None, "0" * 64),
}


@pytest.mark.parametrize("case", MALFORMED_HEADERS, ids=list(MALFORMED_HEADERS))
def test_malformed_signing_headers_get_401_and_nothing_is_posted(backend_tutor, case):
    """Whatever is wrong with the headers, the answer is 401 and the body's response_url is never used
    (it used to be, by the error handler, when Bolt's verifier raised). The response_url here is the
    sandbox's own listener, a host the bot may post to, so only the verification stops it."""
    tutor = backend_tutor
    body = slash_body(f"{tutor.ws.url}/response/hostile-{case}")
    timestamp, signature = MALFORMED_HEADERS[case]
    headers = signed_headers(SECRET, body)
    headers["X-Slack-Request-Timestamp"] = timestamp or headers["X-Slack-Request-Timestamp"]
    headers["X-Slack-Signature"] = signature or headers["X-Slack-Signature"]
    assert send_raw(tutor, body, headers).status == 401
    genuine = tutor.ws.slash(LIN, "/lesson", "9.9")  # answers through its response_url, after the hostile one
    assert genuine.status == 200
    tutor.ws.wait_for(lambda: [e for e in tutor.ws.journal(kind="response_url") if e["token"] != f"hostile-{case}"])
    assert response_url_posts(tutor, f"hostile-{case}") == []


@pytest.fixture
def listener():
    from tests.listener import Listener

    running = Listener()
    yield running
    running.close()


def test_signed_request_never_posts_to_a_foreign_response_url(backend_tutor, listener):
    """Even a correctly signed request cannot aim `respond` or the error message at another host: the
    learner is told by chat.postEphemeral instead, and the foreign host receives nothing."""
    tutor = backend_tutor
    body = slash_body(f"{listener.url}/hook")
    assert send_raw(tutor, body, signed_headers(SECRET, body)).status == 200
    tutor.ws.wait_for(lambda: tutor.ws.journal("chat.postEphemeral"))
    assert listener.received == []


@pytest.mark.parametrize("body, content_type", [
    (b"payload=%7Bnot+json", FORM),                    # bad JSON inside payload=
    (b"payload=%5B1%2C2%5D", FORM),                    # JSON, but not an object
    (b"{\"type\": \"event_callback\", \"event\": ", JSON),  # truncated JSON body
    (b"\xff\xfe\x00garbage", FORM),                    # not UTF-8
    (b"", FORM),                                       # empty
], ids=["bad-json-payload", "payload-not-object", "truncated-json", "not-utf8", "empty"])
def test_signed_but_malformed_bodies_store_nothing(backend_tutor, body, content_type):
    headers = raw_signed_headers(body)
    delivery = send_raw(backend_tutor, body, headers, content_type)
    assert delivery.status in (400, 401, 404), (delivery.status, delivery.body)
    assert "Traceback" not in delivery.body
    assert_nothing_happened(backend_tutor)


def test_oversized_body_is_refused_before_bolt(backend_tutor):
    body = b"command=%2Flesson&text=" + b"a" * (1024 * 1024 + 10)
    delivery = send_raw(backend_tutor, body, signed_headers(SECRET, body))
    assert delivery.status == 413 or delivery.status is None, delivery.status  # None: the server hung up early
    assert_nothing_happened(backend_tutor)


def test_url_verification_answers_the_challenge(backend_tutor):
    delivery = backend_tutor.ws.url_verification("chal-3f9a")
    assert delivery.status == 200
    assert "chal-3f9a" in delivery.body
    assert_nothing_happened(backend_tutor)


def test_event_retries_apply_once(backend_tutor):
    """Slack resends an event (same event_id, X-Slack-Retry-Num 1, 2, 3) when it thinks we missed it."""
    ws = backend_tutor.ws
    event = {"type": "app_home_opened", "user": LIN, "channel": ws.dm_channel(LIN), "tab": "home",
             "event_ts": ws.state.ids.new_ts()}
    envelope = payloads.event_callback(ws.state, event)
    body = json.dumps(envelope).encode()
    first = ws.deliver("event", envelope, body, JSON)
    retries = [ws.deliver("event", envelope, body, JSON,
                                         extra_headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
               for n in (1, 2, 3)]
    assert first.status == 200 and all(r.status == 200 for r in retries)
    ws.wait_for(lambda: ws.journal("views.publish"))
    backend_tutor.settle()
    assert len(ws.journal("views.publish")) == 1
