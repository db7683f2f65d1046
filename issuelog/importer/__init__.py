"""`issuelog import`: hand-kept Markdown logs read into drafts, then written as issue files.

The modules, from the bottom up: `fields` (the words of hand-kept logs), `tree` (headings and
blocks), `drafts` (what an import makes), `labels` (the labelled parts of an entry), `headings`
(what a title says), `dates`, `mapping` (each field to its place), `tables`, `reader` (a log
into drafts) and `plan` (IDs, refusals, files, links, the old log).
"""

from __future__ import annotations

from issuelog.importer.dates import log_date
from issuelog.importer.drafts import Draft, ImportPlan, Notice
from issuelog.importer.headings import KnownIds, fitting_id, split_title
from issuelog.importer.plan import (
    MAX_LOG_BYTES,
    OLD_LOG_CHOICES,
    import_drafts,
    link_related,
    plan_ids,
    plan_import,
    refusals,
    retire_log,
    upgrade_reference_entries,
)
from issuelog.importer.reader import read_log

__all__ = [
    "MAX_LOG_BYTES", "OLD_LOG_CHOICES", "Draft", "ImportPlan", "KnownIds", "Notice", "fitting_id",
    "import_drafts", "link_related", "log_date", "plan_ids", "plan_import", "read_log", "refusals",
    "retire_log", "split_title", "upgrade_reference_entries",
]
