"""`issuelog mcp`: a Model Context Protocol server over stdio, for coding agents.

The only module that imports the `mcp` SDK (the optional extra `issuelog[mcp]`). Each tool calls
the same core function as the CLI command of the same name, so every write is validated and
made under the project lock: an agent cannot write a file that `issuelog check` rejects.
Answers are compact by default: a few fields per issue, pages of `limit` with a `cursor` for the
next page, bodies only when asked for (see "Coding agents (MCP)" in the README for their sizes).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from issuelog import __version__
from issuelog.core.config import Config, load_project
from issuelog.errors import IssuelogError

#: Fields of an issue in `list` answers unless `fields` asks for others (or "all").
COMPACT_FIELDS = ("id", "title", "status", "severity", "component")
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
T = TypeVar("T")

INSTRUCTIONS = """\
issuelog keeps one Markdown file per issue under issues/ and renders ISSUES.md from them.
Before fixing an error, call `similar` with its message or stack trace: a past issue may hold its
Root Cause and Resolution. Record each occurrence of an error with `record` (it counts repeats on
one issue). After fixing, `resolve` with the resolution text, then `render`.
Answers are compact: ask for `fields` or `body` when you need more; follow `next_cursor`."""


def _guarded(action: Callable[[], T]) -> T:
    """Run a core call; issuelog's own errors become tool errors with their message."""
    try:
        return action()
    except IssuelogError as error:
        raise ToolError(str(error)) from None
    except OSError as error:
        raise ToolError(f"{getattr(error, 'filename', '') or ''}: {error.strerror or error}") from None


def _offset(cursor: str | None) -> int:
    """The position a cursor stands for (cursors are the decimal offset of the next item)."""
    if cursor in (None, ""):
        return 0
    if not cursor.isdigit():
        raise ToolError(f"bad cursor '{cursor}': pass the next_cursor of the previous answer")
    return int(cursor)


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ToolError(f"limit must be from 1 to {MAX_LIMIT}, got {limit}")
    return limit


def _page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """One page of items with the total and the cursor of the next page (null at the end)."""
    end = offset + limit
    return {"total": len(items), "items": items[offset:end],
            "next_cursor": str(end) if end < len(items) else None}


def _project() -> Config:
    return _guarded(load_project)


def _select(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The wanted fields of an issue record: COMPACT_FIELDS by default, everything with "all"."""
    if fields and "all" in fields:
        return record
    wanted = fields or list(COMPACT_FIELDS)
    unknown = [name for name in wanted if name not in record]
    if unknown:
        raise ToolError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(record)}")
    return {name: record[name] for name in wanted}


def list_issues(status: list[str] | None = None, severity: list[str] | None = None,
                component: list[str] | None = None, tag: list[str] | None = None,
                assignee: list[str] | None = None, include_closed: bool = False,
                grep: str | None = None, sort: str | None = None,
                fields: list[str] | None = None, limit: int = DEFAULT_LIMIT,
                cursor: str | None = None) -> dict[str, Any]:
    """Issues as `issuelog list` chooses them (open ones, most severe first, by default).

    Each issue has the fields id, title, status, severity, component unless `fields` names
    others (any key of `show`, or "all"). Pages of `limit`; pass `next_cursor` for the next.
    """
    from issuelog.core.cache import load_issues
    from issuelog.log.listing import Filters, check_filters, issue_record, select_issues, sort_issues

    config = _project()
    offset, size = _offset(cursor), _limit(limit)
    filters = Filters(status=tuple(status or ()), severity=tuple(severity or ()),
                      component=tuple(component or ()), tag=tuple(tag or ()),
                      assignee=tuple(assignee or ()), include_closed=include_closed, grep=grep)
    _guarded(lambda: check_filters(filters, config))
    result = load_issues(config, bodies=bool(grep))
    chosen = _guarded(lambda: sort_issues(select_issues(result.issues, config, filters), config,
                                          sort))
    page = _page(chosen, offset, size)
    page["items"] = [_select(issue_record(issue, config), fields) for issue in page["items"]]
    if result.problems:
        page["problems"] = len(result.problems)
    return page


def search(query: str, status: list[str] | None = None, severity: list[str] | None = None,
           component: list[str] | None = None, include_closed: bool = False,
           limit: int = 10, cursor: str | None = None, excerpts: int = 1) -> dict[str, Any]:
    """Ranked full-text search; each hit names the words that matched and `excerpts` best parts."""
    from issuelog.log.listing import Filters, check_filters
    from issuelog.search.index import SearchFilters
    from issuelog.search.index import search as run_search

    config = _project()
    offset, size = _offset(cursor), _limit(limit)
    if not 0 <= excerpts <= 8:
        raise ToolError(f"excerpts must be from 0 to 8, got {excerpts}")
    _guarded(lambda: check_filters(Filters(status=tuple(status or ()),
                                           severity=tuple(severity or ())), config))
    filters = SearchFilters(tuple(status or ()), tuple(severity or ()), tuple(component or ()),
                            include_closed)
    hits = _guarded(lambda: run_search(config, query, filters, limit=size + 1, offset=offset,
                                       sections=excerpts))
    items = []
    for hit in hits[:size]:
        item = hit.to_dict()
        del item["path"], item["component"]
        items.append(item)
    return {"items": items, "next_cursor": str(offset + size) if len(hits) > size else None}


def similar(message: str = "", stack_trace: str = "", error_type: str = "", component: str = "",
            limit: int = 3) -> dict[str, Any]:
    """Past issues closest to an error: exact fingerprint first, then by text (score 0-1)."""
    from issuelog.search.similar import SAME_ISSUE_SCORE, similar_in_project

    if not message.strip() and not stack_trace.strip():
        raise ToolError("give `message` (an error message or free text) or `stack_trace`")
    config = _project()
    found = _guarded(lambda: similar_in_project(config, message, stack_trace=stack_trace,
                                                error_type=error_type, component=component,
                                                limit=_limit(limit)))
    return {"same_issue_score": SAME_ISSUE_SCORE,
            "items": [{key: value for key, value in item.to_dict().items() if key != "path"}
                      for item in found]}


def show(issue_id: str, body: bool = False, fields: list[str] | None = None) -> dict[str, Any]:
    """One issue: every field (or `fields`), its path, and its Markdown body when `body` is true."""
    from issuelog.core.store import find_issue_file, load_issue
    from issuelog.log.listing import issue_record

    config = _project()
    _, issue = _guarded(lambda: load_issue(config, find_issue_file(config, issue_id)))
    record = issue_record(issue, config)
    answer = _select(record, fields) if fields else {
        key: value for key, value in record.items() if value not in (None, [], {})}
    if body:
        answer["body"] = issue.body
    return answer


def new(title: str, severity: str | None = None, component: str | None = None,
        category: str | None = None, phase: str | None = None, status: str | None = None,
        assignee: str | None = None, tags: list[str] | None = None, error: str | None = None,
        description: str | None = None) -> dict[str, Any]:
    """Create an issue file with the next free ID (defaults as `issuelog new`)."""
    from issuelog.git.gitrepo import user_name as git_user_name
    from issuelog.ops.fingerprint import error_type_of
    from issuelog.ops.record import create_error_issue
    from issuelog.project.scaffold import create_issue, missing_required

    config = _project()
    fields: dict[str, Any] = {
        "title": title, "severity": severity, "component": component, "category": category,
        "phase": phase, "status": status, "assignee": assignee, "tags": tags or [],
        "error_message": error, "error_type": error_type_of(error) if error else None,
        "reporter": git_user_name(config.root),
    }
    missing = missing_required(fields, config)
    if missing:
        raise ToolError(f"missing required field(s): {', '.join(missing)}")
    sections = {"Description": description} if description and description.strip() else None
    create = create_error_issue if error else create_issue
    issue_id, path = _guarded(lambda: create(config, fields, sections=sections))
    return {"id": issue_id, "path": _relative(path, config)}


def record(error: str = "", stack_trace: str = "", component: str = "", error_type: str = "",
           title: str = "", severity: str = "", tags: list[str] | None = None,
           fixes: list[str] | None = None) -> dict[str, Any]:
    """Record an error: count it on its issue, reopen a fixed one, or create one; with the fix
    known for the same issue, if any."""
    from issuelog.ops.events import ErrorEvent
    from issuelog.ops.record import record_event
    from issuelog.search.similar import best_known_fix

    config = _project()
    event = ErrorEvent(error=error, stack_trace=stack_trace, component=component,
                       error_type=error_type, title=title, severity=severity, tags=tags or [],
                       fixes=fixes or [])
    result = _guarded(lambda: record_event(config, event))
    answer: dict[str, Any] = {"action": result.action, "id": result.issue_id,
                              "path": _relative(result.path, config),
                              "occurrences": result.occurrences}
    fix = _guarded(lambda: best_known_fix(config, error, stack_trace=stack_trace,
                                          error_type=error_type, component=component,
                                          recorded_id=result.issue_id))
    if fix is not None:
        answer["known_fix"] = {"id": fix.issue_id, "score": round(fix.score, 3),
                               "root_cause": fix.root_cause, "resolution": fix.resolution}
    return answer


def _edit_answer(edit: Any) -> dict[str, Any]:
    from issuelog.log.listing import _jsonable

    return {"id": edit.issue_id,
            "changed": {key: _jsonable([before, after]) for key, (before, after)
                        in edit.changed.items()},
            "resolution_changed": edit.resolution_changed}


def set_status(issue_id: str, status: str, resolution: str | None = None) -> dict[str, Any]:
    """Change an issue's status (a closed one sets `resolved`); `resolution` fills Resolution."""
    from issuelog.core.edits import change_status

    config = _project()
    return _edit_answer(_guarded(lambda: change_status(config, issue_id, status,
                                                       resolution=resolution)))


def resolve(issue_id: str, resolution: str | None = None) -> dict[str, Any]:
    """Mark an issue resolved; `resolution` (what fixed it) fills its Resolution section."""
    from issuelog.core.edits import change_status, resolved_status

    config = _project()
    return _edit_answer(_guarded(lambda: change_status(config, issue_id, resolved_status(config),
                                                       resolution=resolution)))


def assign(issue_id: str, name: str) -> dict[str, Any]:
    """Set who works on an issue ("" to unassign)."""
    from issuelog.core.edits import update_issue
    from issuelog.core.frontmatter_edit import EMPTY

    config = _project()
    return _edit_answer(_guarded(lambda: update_issue(config, issue_id,
                                                      {"assignee": name.strip() or EMPTY})))


def set_fields(issue_id: str, values: dict[str, str]) -> dict[str, Any]:
    """Set frontmatter keys, each value in YAML as `issuelog set` takes it (tags: "a,b")."""
    from issuelog.core.edits import parse_assignments, related_as_ids, update_issue

    if not values:
        raise ToolError("give at least one key in `values`, e.g. {\"severity\": \"high\"}")
    config = _project()
    changes = _guarded(lambda: related_as_ids(
        parse_assignments(f"{key}={value}" for key, value in values.items()), config))
    return _edit_answer(_guarded(lambda: update_issue(config, issue_id, changes)))


def check(limit: int = 50) -> dict[str, Any]:
    """Validate every issue file: `ok`, and the first `limit` problems as path, line, message."""
    from issuelog.core.cache import load_issues

    config = _project()
    result = load_issues(config, bodies=False)
    problems = [{"path": p.path, "line": p.line, "message": p.message} for p in result.problems]
    return {"ok": not problems, "issues": len(result.issues), "problem_count": len(problems),
            "problems": problems[:_limit(limit)]}


def render() -> dict[str, Any]:
    """Rebuild ISSUES.md from the issue files; refuses (with the problems) while any is invalid."""
    from issuelog.core.atomic_write import write_bytes_atomic
    from issuelog.core.store import display_path, write_lock
    from issuelog.project.logfile import rendered_log

    config = _project()
    result = _guarded(lambda: rendered_log(config))
    if result.text is None:
        shown = "; ".join(str(problem) for problem in result.problems[:10])
        raise ToolError(f"not rendering: {len(result.problems)} problem(s): {shown}")
    data = result.text.encode("utf-8")
    target = config.output_path
    with write_lock(config):
        current = target.read_bytes().replace(b"\r\n", b"\n") if target.is_file() else None
        if current != data:
            _guarded(lambda: write_bytes_atomic(target, data))
    return {"path": display_path(target, config), "changed": current != data,
            "issues": result.issue_count}


def _relative(path: Path, config: Config) -> str:
    return path.relative_to(config.root).as_posix() if path.is_relative_to(config.root) else str(path)


def issues_log() -> str:
    """ISSUES.md as rendered from the issue files now."""
    from issuelog.project.logfile import rendered_log

    try:
        result = rendered_log(load_project())
    except IssuelogError as error:
        raise ResourceError(str(error)) from None
    if result.text is None:
        raise ResourceError(f"{len(result.problems)} problem(s) in the issue files: run check")
    return result.text


def issue_file(issue_id: str) -> str:
    """One issue file as it is on disk."""
    from issuelog.core.store import find_issue_file, load_issue

    try:
        config = load_project()
        return load_issue(config, find_issue_file(config, issue_id))[0]
    except IssuelogError as error:
        raise ResourceError(str(error)) from None


TOOLS: dict[str, Callable[..., dict[str, Any]]] = {
    "list": list_issues, "search": search, "similar": similar, "show": show, "new": new,
    "record": record, "set_status": set_status, "resolve": resolve, "assign": assign,
    "set": set_fields, "check": check, "render": render,
}


def compact_json(function: Callable[..., dict[str, Any]]) -> Callable[..., str]:
    """The tool answering one line of JSON: the SDK would indent it and send it twice (as text
    and as structured content), tripling what the agent reads."""

    @functools.wraps(function)
    def answer(*args: Any, **kwargs: Any) -> str:
        return json.dumps(function(*args, **kwargs), ensure_ascii=False, separators=(",", ":"),
                          default=str)

    return answer


def build_server() -> MCPServer:
    """The server with every tool and resource registered."""
    server: MCPServer = MCPServer(name="issuelog", version=__version__, instructions=INSTRUCTIONS)
    for name, function in TOOLS.items():
        server.tool(name=name, description=(function.__doc__ or "").strip(),
                    structured_output=False)(compact_json(function))
    server.resource("issuelog://ISSUES.md", name="ISSUES.md", mime_type="text/markdown",
                    description="The master log, rendered from the issue files now.")(issues_log)
    server.resource("issuelog://issues/{issue_id}", name="issue", mime_type="text/markdown",
                    description="One issue file by ID (ISSUE-007, 7 or 007).")(issue_file)
    return server


def serve(directory: Path | None = None) -> None:
    """Serve over stdio until the client closes the connection."""
    if directory is not None:
        os.chdir(directory)
    load_project()  # outside a project: fail now, with issuelog's message, not on the first call
    build_server().run("stdio")
