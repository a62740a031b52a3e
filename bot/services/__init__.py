"""Services hold the product's logic; handlers call them. They are built, once per process, by the
composition root `bot.composition` (kept outside this package so that importing one service never
imports all of them)."""
