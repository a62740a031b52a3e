"""Which Slack Web API errors are worth retrying. A retry loop (the bot's tick re-announcing job
outcomes) must stop on errors that will never go away, or it posts into the void every minute forever."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

# The channel, user or installation is gone or shut to us; trying again cannot help.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth", "not_authed",
    "token_revoked", "token_expired", "user_not_found", "user_disabled", "cannot_dm_bot", "missing_scope",
    "team_access_not_granted", "no_permission", "restricted_action", "ekm_access_denied", "invalid_arguments",
    "invalid_blocks", "msg_too_long", "too_many_attachments", "team_not_found", "org_login_required",
})


def is_permanent(error: BaseException) -> bool:
    """True for a Slack API error that will fail the same way on every retry."""
    return isinstance(error, SlackApiError) and (error.response or {}).get("error") in PERMANENT
