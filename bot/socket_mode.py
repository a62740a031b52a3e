"""Socket Mode's connection, opened and closed for `tutor run` and `tutor sandbox --socket-mode`.

slack_sdk's built-in client joins its session thread on close; a thread left on the state of a
connection that a `disconnect`/refresh replaced never sees its stop flag and loops on, so a plain
`close()` can wait forever (seen in the sandbox's refresh test). Stopping must never hang the process:
the close runs on a daemon thread and is given a few seconds.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
CLOSE_SECONDS = 5.0


def connect(app, app_token: str, **options):
    """A connected Bolt Socket Mode handler for `app`."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token, **options)
    handler.connect()
    return handler


def close(handler, timeout: float = CLOSE_SECONDS) -> bool:
    """Close the connection; False (and a warning) when the client's threads did not end in time."""
    closer = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        log.warning("Socket Mode client did not stop within %.0f s; leaving its threads to exit with the process", timeout)
        return False
    return True
