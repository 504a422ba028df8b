"""Persistence: SQLAlchemy models, engine and sessions, queries, migrations.

Knows nothing of Telegram or of the bot above it.
"""
