"""OAuth mode's install life cycle beyond Bolt's flow: where the authorize page lives, and forgetting a
workspace's token the moment Slack says it is gone (so no drip or job result is sent with it again)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def authorize_url(api_url: str) -> str:
    """Slack's authorize page sits beside its Web API (https://slack.com/oauth/v2/authorize next to
    https://slack.com/api/); deriving it lets the same settings point at the sandbox."""
    base = api_url[: -len("api/")] if api_url.endswith("/api/") else api_url.rstrip("/") + "/"
    return base + "oauth/v2/authorize"


def register_revocation(app, services) -> None:
    """`tokens_revoked` and `app_uninstalled`: Bolt's own listeners delete the installation; the cached
    per-workspace client goes too, so background work finds no token and sends nothing."""
    revoked, uninstalled = app.default_tokens_revoked_event_listener(), app.default_app_uninstalled_event_listener()

    @app.event("tokens_revoked")
    def tokens_revoked(event, context):
        revoked(event=event, context=context)
        if (event.get("tokens") or {}).get("bot"):
            services.clients.forget(context.team_id)
            log.info("bot token revoked for team %s; installation deleted", context.team_id)

    @app.event("app_uninstalled")
    def app_uninstalled(context):
        uninstalled(context=context)
        services.clients.forget(context.team_id)
        log.info("app uninstalled from team %s; installation deleted", context.team_id)
