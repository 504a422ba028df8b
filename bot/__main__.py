"""`python -m bot` does what the `netcoach` console script does."""

from bot.cli import main

raise SystemExit(main())
