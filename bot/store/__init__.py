"""Storage: SQLAlchemy models, engine set-up and migrations (SQLite by default, Postgres at scale)."""

from bot.store.db import Database
from bot.store import models

__all__ = ["Database", "models"]
