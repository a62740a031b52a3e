"""Request verification stays on in process: bodies built by tests/helpers.py and handed straight to
`app.dispatch` are served when signed with the app's secret, refused (401, no effect) otherwise."""

from __future__ import annotations

import time

from sandbox.delivery import FORM, JSON
from tests.helpers import LIN, api_calls, bolt_request, click_body, event_body, slash_body, text_of, view_submission_body, wait_dm


def test_signed_bodies_dispatched_directly_are_served(tutor_inproc):
    t = tutor_inproc
    response = t.dispatch(slash_body(t.ws, LIN, "/lesson", "1.1", t.ws.dm_channel(LIN)), FORM)
    assert response.status == 200
    first = wait_dm(t.ws, LIN, lambda m: "Lesson 1.1" in text_of(m))[0]
    assert t.dispatch(click_body(t.ws, LIN, first, "lesson_continue"), FORM).status == 200
    wait_dm(t.ws, LIN, lambda m: "page 2 of" in m.get("text", ""))
    event = {"type": "app_home_opened", "user": LIN, "channel": t.ws.dm_channel(LIN), "tab": "home",
             "event_ts": t.ws.state.ids.new_ts()}
    assert t.dispatch(event_body(t.ws, event), JSON).status == 200
    t.wait(lambda: t.ws.home_view(LIN))


def test_wrong_secret_and_stale_timestamp_are_refused_with_no_effect(tutor_inproc):
    t = tutor_inproc
    body = slash_body(t.ws, LIN, "/lesson", "1.1")
    assert t.app.dispatch(bolt_request(body, FORM, "wrong")).status == 401
    assert t.dispatch(body, FORM, timestamp=int(time.time()) - 6 * 60).status == 401
    view = {"id": "V0NOPE", "callback_id": "finetune_request", "state": {"values": {}}, "type": "modal"}
    assert t.dispatch(view_submission_body(t.ws, LIN, view), FORM, timestamp=0).status == 401
    t.settle()
    assert not api_calls(t.ws) and t.tracker.started == 0, "no listener ran"
