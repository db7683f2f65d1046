"""What `issuelog import` shows of its drafts: each one's JSON record and the dry run's table rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from issuelog.log.formatting import format_value

if TYPE_CHECKING:
    from issuelog.importer import Draft

#: Columns of the `import --dry-run` table; the title last, as it may be long.
DRAFT_COLUMNS = ("LINE", "ID", "LEGACY", "SEVERITY", "STATUS", "PHASE", "REPORTED", "TITLE")


def draft_record(draft: Draft) -> dict[str, object]:
    """A draft as `import --format json` lists it: the fields, what else the file keeps, the body."""
    return {
        "line": draft.line, "id": draft.planned_id, "title": draft.title,
        "legacy_id": draft.legacy_id or None,
        **{key: (format_value(draft.value(key)) if draft.value(key) is not None else None)
           for key in ("severity", "status", "phase", "category", "reported", "resolved")},
        "reference_only": bool(draft.extra.get("reference_only")),
        **{key: draft.value(key) or None for key in ("component", "files", "tags")},
        # Everything else the file will hold: legacy_* keys, unknown-date flags, the body.
        "kept": {key: format_value(value) if not isinstance(value, (dict, list, bool)) else value
                 for key, value in draft.extra.items()
                 if key not in ("imported_from", "reference_only", "legacy_id")},
        "sections": [line[3:] for line in draft.body.splitlines() if line.startswith("## ")],
        "body": draft.body,
    }


def draft_row(draft: Draft) -> list[str]:
    """A draft's cells in the `import --dry-run` table (DRAFT_COLUMNS)."""
    return [str(draft.line), draft.planned_id, draft.legacy_id,
            *(format_value(draft.value(key)) for key in ("severity", "status", "phase", "reported")),
            draft.title]
