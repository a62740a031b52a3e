"""Stopping the HTTP server while a request is still being answered: the answer completes, nothing is logged
as an error, and the server's loop ends though the client keeps its connection alive. (A stop that closed
waitress's trigger under a busy worker thread printed a traceback at Ctrl-C and failed CI once.)"""

from __future__ import annotations

import logging
import threading
import time

import requests

from bot.server import HTTPServer
from tests.helpers import wait_for


inside = threading.Event()


def slow_app(environ, start_response):
    inside.set()
    time.sleep(0.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]


def test_stop_waits_for_the_request_in_flight(caplog):
    server = HTTPServer(slow_app, host="127.0.0.1", port=0, threads=2).start()
    answers: list = []
    client = threading.Thread(target=lambda: answers.append(requests.get(server.url, timeout=5)))
    client.start()
    assert inside.wait(timeout=10), "the request never reached the app"
    with caplog.at_level(logging.WARNING):
        server.stop()
    client.join(timeout=5)
    # waitress's worker threads leave its set only after logging any error, so once the set is empty,
    # whatever a worker thread that outlived the stop would have logged is in caplog
    wait_for(lambda: not server._server.task_dispatcher.threads, timeout=5, message="waitress's threads to end")
    assert answers and answers[0].status_code == 200 and answers[0].text == "done"
    assert not server._thread.is_alive(), "the server loop outlived stop() (a kept-alive connection held it open)"
    errors = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not errors, [record.getMessage() for record in errors]
