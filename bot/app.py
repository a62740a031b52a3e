"""The Bolt app: `build_app(settings, services)` wires Bolt to the services (built by `bot.composition`) and the handlers."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltResponse

from bot.afterack import AfterAck
from bot.config import Settings
from bot.slackhosts import response_url_allowed, send_to_response_url
from bot.composition import Services, build_services

log = logging.getLogger(__name__)

BOT_SCOPES = ["app_mentions:read", "chat:write", "commands", "im:history", "im:write", "users:read", "files:read", "files:write"]
SORRY = "Sorry, something went wrong on my side and I couldn't finish that. Please try again in a moment."
BUSY = "I'm having trouble reaching my database right now. Please try again shortly — nothing was lost."


def build_app(settings: Settings, services: Services | None = None, *, clock=None) -> App:
    """A Bolt app for these settings: HTTP or Socket Mode is the caller's choice."""
    settings.require_slack()
    services = services or build_services(settings, clock=clock)
    # Acks never wait behind work (issue 14): each listener's ack half runs on the request's own thread
    # (`process_before_response=True`) and does no network I/O; the work after it goes to a bounded pool
    # of its own (`handlers.common.after_ack` makes the split; `bot.afterack`). With one shared pool,
    # acks queued behind other learners' Web API calls: p99 ack 4.7-7 s at 200 learners.
    after = AfterAck()
    kwargs = dict(signing_secret=settings.signing_secret, process_before_response=True,
                  ignoring_self_events_enabled=True, request_verification_enabled=True, listener_executor=after)
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

    @app.middleware  # the first custom middleware: Bolt runs its own (signature check first) before these
    def mark_verified(context, next):
        """Record that this request passed Bolt's signature check, and drop a response_url outside Slack's
        hooks host so that no `respond` can post there."""
        context["verified"] = True
        if context.response_url and not response_url_allowed(context.response_url, settings.api_url):
            log.warning("ignoring a response_url outside Slack's hooks host: %.80r", context.response_url)
            context["response_url"] = None
            context.pop("respond", None)  # Bolt may have built `respond` already; it is rebuilt without the URL
        return next()

    @app.middleware
    def provide_services(context, next):
        """Listeners are plain functions (see `handlers/`): they name `services` among their arguments
        and Bolt passes this process's set, as it passes `client` or `ack`."""
        context["services"] = services
        context["busy_notice"] = busy_notice
        return next()

    def busy_notice(body: dict, text: str) -> None:
        """Tell the learner their request was acknowledged but not worked on (`after_ack`, queue full)."""
        after.notify(lambda: _tell_user(services, settings.api_url, body or {}, text))

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
    def on_error(error, body, request, logger):
        """Log the details for the operator; tell the learner in plain words, never a traceback.
        A request that never passed the signature check (Bolt's verifier raised on it) is nobody's to
        tell: it gets a 401 and nothing is sent anywhere on its say-so."""
        if not request.context.get("verified"):
            logger.warning("refused a request that failed verification: %s", type(error).__name__)
            return BoltResponse(status=401, body="invalid request")
        logger.exception("listener failed: %s", type(error).__name__)
        from sqlalchemy.exc import OperationalError

        text = BUSY if isinstance(error, OperationalError) else SORRY
        _tell_user(services, settings.api_url, body or {}, text)

    from handlers import register_all

    register_all(app)
    return app


def _tell_user(services: Services, api_url: str, body: dict, text: str) -> None:
    try:
        response_url = body.get("response_url") or next(
            (r.get("response_url") for r in body.get("response_urls") or []), None)
        if response_url and send_to_response_url(response_url, api_url, text):
            return
        user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
        channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else body.get("channel_id")
        channel = channel or (body.get("event") or {}).get("channel")
        if user and channel:
            services.client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:
        log.warning("could not tell the user about an error", exc_info=True)
