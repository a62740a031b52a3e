"""Stopping a Socket Mode bot never hangs, even when slack_sdk's client cannot stop its threads."""

from __future__ import annotations

import threading

from bot import socket_mode


class _Handler:
    def __init__(self, stuck: bool):
        self.stuck, self.closed = stuck, threading.Event()

    def close(self):
        if self.stuck:
            threading.Event().wait()  # a session thread that never sees its stop flag
        self.closed.set()


def test_a_client_that_cannot_stop_is_given_up_on():
    assert socket_mode.close(_Handler(stuck=True), timeout=0.2) is False


def test_a_client_that_stops_is_closed():
    handler = _Handler(stuck=False)
    assert socket_mode.close(handler, timeout=5) is True and handler.closed.is_set()
