"""netcoach: a Telegram bot that coaches members on networking as relationship work."""

import os

__all__ = ["__version__"]

__version__ = "0.2.0"

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta) now, so
# the code is written against it and the deprecation warning stays quiet.
os.environ.setdefault("PTB_TIMEDELTA", "1")
