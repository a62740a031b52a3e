"""One module per user-facing surface, each with `register(app, services)` (Slack's bolt-python
starter-template layout). Handlers acknowledge first, then call services."""

from handlers import drips, finetune, home, lessons, progress, quiz

SURFACES = (lessons, quiz, progress, home, drips, finetune)


def register_all(app, services) -> None:
    for surface in SURFACES:
        surface.register(app, services)
