"""The domain layer: what netcoach does, free of Telegram types.

Handlers and the dispatcher call these functions; they call `storage` and `content`.
"""
