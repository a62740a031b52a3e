"""The composition root: `build_app(settings)` wires Bolt, the Web API client, services and handlers."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltResponse

from bot.config import Settings
from bot.services import Services, build_services

log = logging.getLogger(__name__)

LISTENER_THREADS = 32
BOT_SCOPES = ["chat:write", "commands", "im:history", "im:write", "users:read", "files:read", "files:write"]
SORRY = "Sorry, something went wrong on my side and I couldn't finish that. Please try again in a moment."
BUSY = "I'm having trouble reaching my database right now. Please try again shortly — nothing was lost."


def build_app(settings: Settings, services: Services | None = None, *, clock=None) -> App:
    """A Bolt app for these settings: HTTP or Socket Mode is the caller's choice."""
    settings.require_slack()
    services = services or build_services(settings, clock=clock)
    # Bolt's default pool has 5 threads, shared by acks and the slow work after them: under load,
    # acks queue behind other learners' Web API calls. A larger pool keeps acks prompt.
    kwargs = dict(signing_secret=settings.signing_secret, process_before_response=False,
                  ignoring_self_events_enabled=True, request_verification_enabled=True,
                  listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"))
    if settings.oauth:
        from slack_bolt.oauth.oauth_settings import OAuthSettings
        from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

        installations = services.clients.installation_store
        states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=services.db.engine)
        states.metadata.create_all(services.db.engine)
        from bot.installs import authorize_url

        kwargs["oauth_settings"] = OAuthSettings(client_id=settings.client_id, client_secret=settings.client_secret,
                                                 scopes=BOT_SCOPES, installation_store=installations,
                                                 state_store=states, authorization_url=authorize_url(settings.api_url))
        kwargs["client"] = services.client
    else:
        kwargs["client"] = services.client  # carries the bot token and the retry handlers
        kwargs["token_verification_enabled"] = False
    app = App(**kwargs)
    app.services = services  # for tests and the runtime
    if settings.oauth:
        from bot.installs import register_revocation

        register_revocation(app, services)

    @app.middleware
    def skip_retries(request, next):
        """Slack retries an event it thinks we missed; each event is applied once (by event_id)."""
        body = request.body or {}
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not services.once.claim(f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error, body, logger):
        """Log the details for the operator; tell the learner in plain words, never a traceback."""
        logger.exception("listener failed: %s", type(error).__name__)
        from sqlalchemy.exc import OperationalError

        text = BUSY if isinstance(error, OperationalError) else SORRY
        _tell_user(services, body or {}, text)

    from handlers import register_all

    register_all(app, services)
    from bot import views

    views.set_module_titles({m.id: m.title for m in services.course.course.modules})
    return app


def _tell_user(services: Services, body: dict, text: str) -> None:
    try:
        response_url = body.get("response_url") or next(
            (r.get("response_url") for r in body.get("response_urls") or []), None)
        if response_url:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return
        user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
        channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else body.get("channel_id")
        if user and channel:
            services.client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:
        log.warning("could not tell the user about an error", exc_info=True)
