"""One module per user-facing surface (Slack's bolt-python starter-template layout): each holds its
listeners as named top-level functions and a `register(app)` that routes Slack's requests to them.
Listeners take `services` like any other Bolt argument (a middleware of `bot.app` provides it), so a
test can call one directly. Each is registered through `handlers.common.after_ack`: the ack (plain, or a
`*_ack` function that validates and at most stores one answer, no network I/O) goes out from the
request's own thread, and the listener runs after it on the app's bounded after-ack pool."""

from handlers import ask, drips, finetune, home, lessons, progress, quiz, runs

SURFACES = (lessons, quiz, progress, home, drips, finetune, runs, ask)


def register_all(app) -> None:
    for surface in SURFACES:
        surface.register(app)
