"""What each stored field means, in German and English, for the data export (`/export`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import yaml

__all__ = ["EXPORT_FIELDS_FILE", "FieldDocs", "export_field_docs"]

EXPORT_FIELDS_FILE: Final = Path(__file__).resolve().parent / "locales" / "export_fields.yaml"

# table -> field -> language -> text; the special field "_title" names the table.
FieldDocs = dict[str, dict[str, dict[str, str]]]


@cache
def export_field_docs() -> FieldDocs:
    """The field descriptions, keyed by table and column name."""
    data = yaml.safe_load(EXPORT_FIELDS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{EXPORT_FIELDS_FILE.name}: must map tables to fields")
    return {
        str(table): {
            str(field): {str(k): str(v) for k, v in texts.items()}
            for field, texts in fields.items()
        }
        for table, fields in data.items()
    }
