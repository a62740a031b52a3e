"""A local Slack-compatible workspace: Web API emulator, signed delivery to the bot, test driver.

Public entry points: `sandbox.driver.Workspace` (tests), `sandbox.server.serve` / `SandboxServer`
(the CLI), `sandbox.blockkit.check_blocks` (Block Kit limits, reused by the bot's tests).
"""
