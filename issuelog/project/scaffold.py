"""Creating new issue files from `issue.md.j2`: used by `new`, `record` and `import`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from issuelog.core.config import Config
from issuelog.core.frontmatter_read import fence_hint, frontmatter_fences
from issuelog.core.model import (
    FIELD_ORDER,
    UNKNOWN_DATE_FIELDS,
    Problem,
    disallowed_values,
    parse_issue,
    title_problem,
    validate_issue,
)
from issuelog.core.store import create_issue_file, display_path, id_numbers, resolve_id, unknown_related
from issuelog.errors import IssueFileError, UsageError
from issuelog.git.gitrepo import user_name as git_user_name
from issuelog.log.render import render_issue
from issuelog.project.ids import next_free_number

#: Fields `new` fills in by itself when they are not given.
AUTOMATIC_FIELDS = ("id", "title", "status", "reported")


def existing_ids(config: Config) -> set[str]:
    """IDs named by the files of the issues directory (without parsing them)."""
    directory = config.issues_path
    names = os.listdir(directory) if directory.is_dir() else []
    return {config.format_id(number) for number in id_numbers(names, config)}


def check_values(fields: Mapping[str, Any], config: Config) -> list[str]:
    """Messages for values the configuration does not allow (before anything is written)."""
    too_long = title_problem(str(fields.get("title", "")))
    return ([too_long] if too_long else []) + [message for _, message in disallowed_values(fields, config)]


def missing_required(fields: Mapping[str, Any], config: Config) -> list[str]:
    """Required fields that have no value yet (the ones `new` does not fill in itself)."""
    return [key for key in config.required if key not in AUTOMATIC_FIELDS and not fields.get(key)]


def require_fields(fields: Mapping[str, Any], config: Config) -> None:
    """Stop with a usage error naming the title or each missing required field (with its choices).

    What `new` says where nobody can be asked (a script, a pipe).
    """
    if not str(fields.get("title") or "").strip():
        raise UsageError("missing argument TITLE (try `issuelog new --help`)")
    hints = []
    for key in missing_required(fields, config):
        choices = config.allowed_values.get(key, ())
        hints.append(f"--{key.replace('_', '-')}" + (f" ({'|'.join(choices)})" if choices else ""))
    if hints:
        raise UsageError(f"missing required field(s): {', '.join(hints)}")


#: The fields `new` shows for confirmation after asking, in this order.
SUMMARY_FIELDS = ("title", "severity", "phase", "category", "component", "status", "assignee",
                  "reporter")


@dataclass(frozen=True)
class Question:
    """One field the interactive `new` asks for: its key, the allowed values and the default."""

    key: str
    label: str
    choices: tuple[str, ...] = ()
    default: str = ""
    required: bool = True


def questions(fields: Mapping[str, Any], config: Config) -> list[Question]:
    """The fields a person is asked for by `new` on a terminal, in the order they are asked.

    Only when the title or a required field is missing; then the title, severity, phase when
    phases are configured, component (Enter skips it unless it is required) and any other
    required field without a value. Given fields are not asked.
    """
    missing = set(missing_required(fields, config))
    if not missing and str(fields.get("title") or "").strip():
        return []  # everything needed was given: no dialogue, as in a script
    asked: list[Question] = []
    if not str(fields.get("title") or "").strip():
        asked.append(Question("title", "Title"))
    for key in ("severity", "phase", "component", *sorted(missing)):
        if fields.get(key) or any(question.key == key for question in asked):
            continue
        choices = tuple(config.allowed_values.get(key, ()))
        if key == "phase" and not choices and key not in missing:
            continue
        asked.append(Question(key, key.replace("_", " ").capitalize(), choices,
                              default_answer(key, choices, config), key in missing or key == "severity"))
    return asked


def default_severity(config: Config) -> str:
    """`medium` when it is configured, else the middle configured severity: the one default of
    `new`, `record` and `import`."""
    names = [severity.name for severity in config.severities]
    return "medium" if "medium" in names else names[len(names) // 2]


def default_answer(key: str, choices: tuple[str, ...], config: Config) -> str:
    """What Enter means for a question: medium severity, the newest phase, the default status."""
    if key == "severity" and choices:
        return default_severity(config)
    if key == "phase" and choices:
        return choices[-1]  # phases are listed in order: new work belongs to the latest one
    if key == "status":
        return config.default_status
    return ""


def match_choice(answer: str, choices: tuple[str, ...]) -> str | None:
    """The choice an answer names, in any case (`Low` is `low`), or None when it names none."""
    text = answer.strip()
    if text in choices:
        return text
    folded = [choice for choice in choices if choice.casefold() == text.casefold()]
    return folded[0] if len(folded) == 1 else None


def new_issue_fields(
    config: Config,
    *,
    title: str | None,
    severity: str | None = None,
    phase: str | None = None,
    category: str | None = None,
    component: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    reporter: str | None = None,
    tags: list[str] | None = None,
    related: list[str] | None = None,
    files: list[str] | None = None,
    error: str | None = None,
    error_type: str | None = None,
    reported: date | None = None,
    reference: bool = False,
) -> dict[str, object]:
    """The fields of the issue `new` creates from its options, with the defaults `new` gives.

    The reporter is git's `user.name` unless given; related IDs are resolved (`7` is ISSUE-007);
    a knowledge entry (`reference`) gets the least severe severity unless given.
    """
    if reference:
        severity = severity or least_severe(config)
    return {
        "title": title, "severity": severity, "phase": phase, "category": category,
        "component": component, "status": status, "assignee": assignee,
        "reporter": reporter if reporter is not None else git_user_name(config.root),
        "tags": tags or [], "related": [resolve_id(r, config) for r in related or []],
        "files": files or [], "error_message": error, "error_type": error_type,
        "reported": reported,
    }


def create_issue(
    config: Config,
    fields: Mapping[str, Any],
    *,
    today: date | None = None,
    extra: Mapping[str, Any] | None = None,
    body: str | None = None,
    preferred_id: str | None = None,
    sections: Mapping[str, str] | None = None,
) -> tuple[str, Path]:
    """Write a new issue file with the next free ID; refuse values `issuelog check` would reject.

    Defaults: status is the configured `default_status`, reported is today (not for a
    reference-only entry, `extra={"reference_only": True}`, which has no dates), occurrences 1.
    `extra` keys (such as `legacy_id` from an import) are added to the frontmatter as they are.
    `body` replaces the template's placeholder sections; `preferred_id` is used when it is free.
    `sections` replace the template's body sections of those titles (or are added at the end).
    """
    values = issue_values(config, fields, today=today, extra=extra)

    def text_for(issue_id: str) -> str:
        return issue_file_text(config, values, issue_id, extra=extra, body=body, sections=sections)

    issue_id, path = create_issue_file(config, values["title"], text_for, preferred_id,
                                       next_number=lambda: next_free_number(config))
    _verify_written(path, config)
    return issue_id, path


def issue_values(
    config: Config,
    fields: Mapping[str, Any],
    *,
    today: date | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The frontmatter values of a new issue with their defaults; UsageError for what is refused."""
    values, errors = values_and_problems(config, fields, today=today, extra=extra)
    if errors:
        raise UsageError("; ".join(errors))
    return values


def values_and_problems(
    config: Config,
    fields: Mapping[str, Any],
    *,
    today: date | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The values of a new issue with their defaults, and why each would be refused."""
    values: dict[str, Any] = {key: value for key, value in fields.items() if value not in (None, "", [])}
    if not str(values.get("title", "")).strip():
        return values, ["an issue needs a title"]
    values["title"] = " ".join(str(values["title"]).split())
    values.setdefault("status", config.default_status)
    # A reference-only entry (knowledge, not an event) gets no date it was not given.
    # Nor does a date that `extra` declares unknown (`resolved_unknown: true`, from an import).
    unknown = {key for key in UNKNOWN_DATE_FIELDS if (extra or {}).get(f"{key}_unknown") is True}
    if not (extra or {}).get("reference_only"):
        if "reported" not in unknown:
            values.setdefault("reported", today or date.today())
        status = config.status(values["status"])
        if status is not None and not status.open and "resolved" not in unknown:
            values.setdefault("resolved", values.get("reported") or today or date.today())
    errors = check_values(values, config)
    missing = [key for key in missing_required(values, config) if key not in unknown]
    if missing:
        errors.append(f"missing required field(s): {', '.join(missing)}")
    related = values.get("related", [])
    known = existing_ids(config) if related else set()  # listing the directory costs, at scale
    errors += unknown_related(related, known, config)
    return values, errors


def issue_file_text(
    config: Config,
    values: Mapping[str, Any],
    issue_id: str,
    *,
    extra: Mapping[str, Any] | None = None,
    body: str | None = None,
    sections: Mapping[str, str] | None = None,
) -> str:
    """The text of a new issue file with these values (from `issue_values`) and this ID."""
    text = render_issue({**{key: None for key in FIELD_ORDER}, "description": None,
                         **values, "id": issue_id}, config)
    if body is not None:
        text = replace_body(text, body)
    if extra:
        # ruamel.yaml takes longer to import than `new` takes to run without it.
        from issuelog.core.frontmatter_edit import add_frontmatter_keys

        text = add_frontmatter_keys(text, extra, name=issue_id)
    if sections:
        # markdown-it-py is imported only by the writers that fill in sections: not by `new`.
        from issuelog.core.sections import replace_section

        for title, content in sections.items():
            text = replace_section(text, title, content)
    return text


#: The body of a knowledge entry: what it is about, and what to do.
REFERENCE_BODY = """\
## Description

{description}

## Resolution

{solution}
"""


def least_severe(config: Config) -> str:
    """The severity a knowledge entry gets when none is given: the last, least severe one."""
    return config.severities[-1].name if config.severities else ""


def create_reference(
    config: Config, fields: Mapping[str, Any], *, area: str = "", cause: str = "", solution: str = ""
) -> tuple[str, Path]:
    """Write a knowledge entry: `reference_only`, a closed status, no dates, a short body.

    Listed in the Common Issues Reference of the log under `area` (default: the component, else
    "General") and counted in no figure. Severity defaults to the least severe one.
    """
    values = dict(fields)
    values.pop("reported", None)
    values.setdefault("status", None)
    if not values["status"]:
        values["status"] = next((s.name for s in config.statuses if s.resolved and not s.open),
                                next((s.name for s in config.statuses if not s.open), ""))
    status = config.status(str(values["status"]))
    if status is None or status.open:
        raise UsageError(f"a reference entry needs a closed status, not '{values['status']}'")
    if not values.get("severity"):
        values["severity"] = least_severe(config)
    reference = {"area": area.strip() or str(values.get("component") or "").strip() or "General"}
    if cause.strip():
        reference["cause"] = cause.strip()
    if solution.strip():
        reference["solution"] = solution.strip()
    body = REFERENCE_BODY.format(
        description=cause.strip() or "<!-- The symptom, and what it means. -->",
        solution=solution.strip() or "<!-- What to do about it. -->")
    return create_issue(config, values, extra={"reference_only": True, "reference": reference},
                        body=body)


def replace_body(text: str, body: str) -> str:
    """`text` with everything after its frontmatter block replaced by `body` (one blank line between)."""
    fences = frontmatter_fences(text)
    if fences is None:  # scaffold's own files always have one: check judged them
        raise IssueFileError(f"cannot replace the body: {fence_hint(text)}")
    end_of_line = text.find("\n", fences[1].start())
    head = text if end_of_line < 0 else text[:end_of_line + 1]
    content = body.strip("\n")
    return head + (f"\n{content}\n" if content else "")


def file_problems(path: Path, text: str, config: Config) -> list[Problem]:
    """What `issuelog check` would say about one file with this text at this path."""
    shown = display_path(path, config)
    issue, problems = parse_issue(path, text, shown)
    if issue is not None:
        problems += validate_issue(issue, config, shown)
    return problems


def _verify_written(path: Path, config: Config) -> None:
    """A file issuelog writes must pass `issuelog check`; remove it and say so when it does not."""
    problems = file_problems(path, path.read_text(encoding="utf-8"), config)
    if problems:
        path.unlink(missing_ok=True)
        raise IssueFileError(
            "the issue template produced an invalid file, nothing was written:\n"
            + "\n".join(str(problem) for problem in problems)
        )
