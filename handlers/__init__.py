"""One module per user-facing surface (Slack's bolt-python starter-template layout): each holds its
listeners as named top-level functions and a `register(app)` that routes Slack's requests to them.
Listeners take `services` like any other Bolt argument (a middleware of `bot.app` provides it), so a
test can call one directly. They acknowledge first, then call services."""

from handlers import ask, drips, finetune, home, lessons, progress, quiz, runs

SURFACES = (lessons, quiz, progress, home, drips, finetune, runs, ask)


def register_all(app) -> None:
    for surface in SURFACES:
        surface.register(app)
