"""Whether a database is already at the newest migration, told without loading Alembic.

Alembic (with Mako and Pygments behind it) costs ~0.15 s and ~10 MiB to import, and most
start-ups find the database up to date. The newest revision is read from the migration
files' own `revision = "…"` and `down_revision = "…"` lines; anything unusual (two heads,
a line it cannot read, no `alembic_version` table) answers False, and Alembic decides.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["head_revision", "is_at_head"]

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$""", re.MULTILINE)
_QUOTED = re.compile(r"""^["']([^"']+)["']$""")


def head_revision(versions: Path = VERSIONS_DIR) -> str | None:
    """The one revision no other migration revises, or None if that is not plain."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in sorted(versions.glob("*.py")):
        found = dict(
            (name, value) for name, value in _ASSIGNMENT.findall(script.read_text("utf-8"))
        )
        if "revision" not in found:
            continue  # __init__.py and the like
        revision = _QUOTED.match(found["revision"])
        down = found.get("down_revision", "None")
        if revision is None:
            return None
        revisions.add(revision.group(1))
        if down != "None":
            single = _QUOTED.match(down)
            if single is None:  # a merge revision: a tuple of parents
                return None
            revised.add(single.group(1))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


async def is_at_head(engine: AsyncEngine) -> bool:
    """Whether the database behind `engine` carries exactly the newest revision."""
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return False  # No table yet: a new database.
    return [row[0] for row in rows] == [head]
