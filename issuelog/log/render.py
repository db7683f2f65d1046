"""Rendering ISSUES.md and new issue files from Jinja2 templates in a sandbox."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from jinja2.exceptions import SecurityError

from issuelog.core.config import (
    ISSUE_TEMPLATE,
    LOG_TEMPLATE,
    Config,
    Severity,
    Status,
    builtin_templates_dir,
)
from issuelog.core.model import Issue
from issuelog.core.store import display_path
from issuelog.errors import TemplateError
from issuelog.log.formatting import (
    BLANK_RUNS,
    NEWLINES,
    URL_SAFE,
    code_fence,
    format_elapsed,
    format_sla,
    format_value,
    inline_text,
    mermaid_string,
    table_cell,
    yaml_scalar,
)
from issuelog.log.html_values import code_spans_html, markdown_html
from issuelog.log.sandbox import (
    MAX_LOOP_ITERATIONS,
    MAX_RENDERED_CHARS,
    Helper,
    SandboxEnvironment,
    loop_budget,
)

if TYPE_CHECKING:
    from issuelog.log.changes import IssueDiff
    from issuelog.log.summary import Summary

DIFF_TEMPLATE = "diff.md.j2"
# The statistics and charts modules are imported on first use: `new` renders an issue file without
# them, and their data classes take a sixth of its start-up time to define.
def _time_to_resolve(issue: Issue) -> timedelta | None:
    from issuelog.log.stats import time_to_resolve

    return time_to_resolve(issue)


def _weekly_theme() -> str:
    from issuelog.log.charts import mermaid_weekly_theme

    return mermaid_weekly_theme()


def _week_label(day: date) -> str:
    from issuelog.log.charts import week_label

    return week_label(day)


class _ContainedLoader(jinja2.FileSystemLoader):
    """A file system loader that refuses templates linking outside their directories."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """Load a template after checking that it really lives in its search directory."""
        pieces = jinja2.loaders.split_template_path(template)
        for directory in self.searchpath:
            candidate = Path(directory, *pieces)
            if candidate.is_file():
                if not candidate.resolve().is_relative_to(Path(directory).resolve()):
                    raise TemplateError(f"{candidate}: a symbolic link out of the templates "
                                        "directory; refusing to read it")
                break
        return super().get_source(environment, template)


def _loader(config: Config) -> jinja2.FileSystemLoader:
    searched = [config.templates_path, builtin_templates_dir()]
    return _ContainedLoader([str(path) for path in searched])


def has_project_templates(config: Config) -> bool:
    """Whether the project's templates directory holds anything but directories."""
    directory = config.templates_path
    if not directory.is_dir():
        return False
    # Any entry counts, even a broken link: deciding wrongly here only costs speed, never safety.
    return any(not entry.is_dir() or entry.is_symlink() for entry in directory.rglob("*"))


def make_environment(
    config: Config, *, html: bool = False, extra_filters: Mapping[str, Callable[..., Any]] | None = None
) -> jinja2.Environment:
    """A strict environment; the project's templates shadow the built-in ones, in a sandbox.

    The built-in templates ship inside issuelog and are as trusted as its code, so while the
    project has no templates of its own they render without the sandbox, about twice as fast
    for a large log. With `html`, every value is HTML-escaped unless issuelog marked it as
    markup itself. `extra_filters` are added to issuelog's usual ones.
    """
    options: dict[str, Any] = {
        "undefined": jinja2.StrictUndefined,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "autoescape": html,
    }
    filters: dict[str, Callable[..., Any]] = {
        "cell": table_cell,
        "inline": inline_text,
        "value": format_value,
        "elapsed": format_elapsed,
        "sla": format_sla,
        "time_to_resolve": _time_to_resolve,
        "fence": code_fence,
        "mermaid": mermaid_string,
        "week_label": _week_label,
    }
    if html:
        filters["markdown"] = markdown_html
        filters["code"] = code_spans_html
    filters.update(extra_filters or {})
    if has_project_templates(config):
        return SandboxEnvironment(root=config.root, filters=filters, loader=_loader(config), **options)
    environment = jinja2.Environment(loader=_ContainedLoader([str(builtin_templates_dir())]), **options)
    environment.filters.update(filters)
    return environment


def _load(environment: jinja2.Environment, name: str, config: Config) -> jinja2.Template:
    try:
        return environment.get_template(name)
    except jinja2.TemplateNotFound:
        places = ", ".join(str(p / name) for p in (config.templates_path, builtin_templates_dir()))
        raise TemplateError(f"template '{name}' not found; looked in: {places}") from None
    except jinja2.TemplateSyntaxError as error:
        line = error.lineno
        if (error.message or "").startswith("Unexpected end of template") and error.source:
            line = _unclosed_block_line(environment, error.source) or line
        raise TemplateError(f"{shown_path(error.filename) or name}:{line}: {error.message}") from None
    except UnicodeDecodeError as error:
        raise TemplateError(f"template '{name}' is not valid UTF-8 (byte {error.start})") from None


#: Jinja2 tags that open a block closed by `end<tag>`.
_BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape",
                         "raw", "trans"})


def _unclosed_block_line(environment: jinja2.Environment, source: str) -> int | None:
    """The line of the innermost block a template never closes (Jinja2 names only the end)."""
    opened: list[tuple[str, int]] = []
    after_begin = False
    try:
        for line, kind, value in environment.lex(source):
            if kind == "whitespace":
                continue
            if after_begin and kind == "name":
                if value in _BLOCK_TAGS:
                    opened.append((value, line))
                elif value.startswith("end") and opened and opened[-1][0] == value[3:]:
                    opened.pop()
            after_begin = kind == "block_begin"
    except jinja2.TemplateSyntaxError:
        return None
    return opened[-1][1] if opened else None


def shown_path(filename: str | None) -> str:
    """A template's file name as messages show it (`store.display_path`); empty for none."""
    return display_path(Path(filename)) if filename else ""


def _failing_template(error: BaseException, template: jinja2.Template) -> str:
    """`file:line` of the innermost template frame of an error (Jinja2 maps frames to templates)."""
    place = f"{shown_path(template.filename) or template.name}"
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if code.co_filename.endswith(".j2") or code.co_filename == template.filename:
            place = f"{shown_path(code.co_filename)}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return place


def _render(template: jinja2.Template, context: dict[str, Any]) -> str:
    return "".join(_checked_output(template, context))


def _checked_output(template: jinja2.Template, context: dict[str, Any]) -> Iterator[str]:
    """The rendered text in pieces, with failures turned into `TemplateError`s.

    A template rendered while another renders (an article of the HTML page) shares its loop
    budget, so that the page as a whole keeps within it.
    """
    token = loop_budget.set([MAX_LOOP_ITERATIONS]) if loop_budget.get(None) is None else None
    try:
        yield from _bounded_output(template, context)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"{shown_path(error.filename) or template.name}:{error.lineno}: "
                            f"{error.message}") from None
    except SecurityError as error:
        place = _failing_template(error, template)
        raise TemplateError(f"{place}: refused by the sandbox: {error}") from None
    except jinja2.TemplateNotFound as error:
        place = _failing_template(error, template)
        raise TemplateError(f"{place}: template '{error.name}' not found") from None
    except jinja2.UndefinedError as error:
        raise TemplateError(f"{_failing_template(error, template)}: undefined: {error.message}") from None
    except RecursionError:
        name = shown_path(template.filename) or template.name
        raise TemplateError(f"{name}: macros call each other too deeply") from None
    except (TypeError, ValueError, AttributeError, ArithmeticError, LookupError,
            jinja2.TemplateError) as error:
        raise TemplateError(f"{_failing_template(error, template)}: {error}") from None
    except MemoryError:
        name = shown_path(template.filename) or template.name
        raise TemplateError(f"{name}: ran out of memory while rendering") from None
    finally:
        if token is not None:
            loop_budget.reset(token)


def _bounded_output(template: jinja2.Template, context: dict[str, Any]) -> Iterator[str]:
    """The rendered text in pieces of about `_PIECE` characters; a project's template (in the
    sandbox) is refused as soon as its text grows past `MAX_RENDERED_CHARS`."""
    # A page yields a few hundred thousand parts: joining them a batch at a time keeps the
    # generators above this one from paying for each. The built-in templates' text grows
    # with the issues only: the HTML page of 25,000 issues, written as it renders, is past it.
    limit = MAX_RENDERED_CHARS if isinstance(template.environment, SandboxEnvironment) else None
    size = 0
    batch: list[str] = []
    batch_size = 0
    for part in template.generate(context):
        batch.append(part)
        batch_size += len(part)
        if batch_size >= _PIECE:
            size += batch_size
            _check_size(size, limit)
            yield "".join(batch)  # plain text, even when the parts are Markup
            batch, batch_size = [], 0
    _check_size(size + batch_size, limit)
    yield "".join(batch)


_PIECE = 64 * 1024


def _check_size(size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise SecurityError(f"the rendered text is over {MAX_RENDERED_CHARS // (1024 * 1024)} "
                            "MiB (the limit)")


def load_template_source(name: str, config: Config) -> str:
    """The text of a template file (the project's copy first), e.g. a script the page inlines."""
    try:
        source, _, _ = _loader(config).get_source(make_environment(config), name)
    except jinja2.TemplateNotFound:
        places = ", ".join(str(p / name) for p in (config.templates_path, builtin_templates_dir()))
        raise TemplateError(f"template '{name}' not found; looked in: {places}") from None
    return NEWLINES.sub("\n", source)


def render_html(name: str, context: dict[str, Any], config: Config) -> str:
    """Render an HTML template with autoescape; LF line endings and one trailing newline."""
    template = html_template(name, config)
    return "".join(stream_html(template, context))


def html_template(name: str, config: Config,
                  filters: Mapping[str, Callable[..., Any]] | None = None) -> jinja2.Template:
    """An HTML template (autoescape), loaded and compiled, with these filters besides the usual."""
    return _load(make_environment(config, html=True, extra_filters=filters), name, config)


def render_fragment(template: jinja2.Template, context: dict[str, Any]) -> str:
    """A template's text as it renders, e.g. one article of a page (`stream_html` normalises it)."""
    return _render(template, context)


def stream_html(template: jinja2.Template, context: dict[str, Any]) -> Iterator[str]:
    """An HTML template's text in pieces as it renders, as `render_html` gives it in one."""
    return _one_trailing_newline(_checked_output(template, context))


def _one_trailing_newline(parts: Iterable[str]) -> Iterator[str]:
    """The text of `parts` with LF line endings, no newline first and exactly one last.

    A CR at the end of one part may be the start of a CRLF, so it waits for the next part;
    newlines wait until text follows them, so that none is left at the end but the last.
    """
    carried_cr = False
    started = False
    newlines = ""
    for part in parts:
        if carried_cr:
            part, carried_cr = "\r" + part, False
        if part.endswith("\r"):
            part, carried_cr = part[:-1], True
        if "\r" in part:
            part = NEWLINES.sub("\n", part)
        if not started:
            part = part.lstrip("\n")
            started = bool(part)
        text = part.rstrip("\n")
        if not text:
            newlines += part
            continue
        yield newlines + text if newlines else text
        newlines = part[len(text):]
    yield "\n"


def normalize_output(text: str) -> str:
    """LF line endings, at most one blank line in a row, exactly one trailing newline."""
    # A large log is tens of megabytes in memory (emoji make Python keep four bytes a character):
    # each step copies the text only when it has something to change, and the built-in templates
    # give text that needs none.
    if "\r" in text:
        text = NEWLINES.sub("\n", text)
    text = BLANK_RUNS.sub("\n\n", text)  # the same object back when nothing matches
    if text.startswith("\n") or not text.endswith("\n") or text.endswith("\n\n"):
        text = text.strip("\n") + "\n"
    return text


def issue_link(issue: Issue, config: Config) -> str:
    """The issue's file, relative to the directory of the rendered log, with forward slashes."""
    return _relative_link(issue.path, config.output_path.parent)


def issue_links(config: Config) -> Callable[[Issue], str]:
    """`issue_link` for a whole log: each issue directory's relative path is worked out once."""
    # os.path.relpath costs more than the rest of a table row; issues share one or two directories.
    # The path's text is split rather than asked for `parent` and `name`: ten thousand issues
    # are linked about thirteen thousand times, and each of those builds a new Path.
    base = config.output_path.parent
    prefixes: dict[str, str] = {}

    def link(issue: Issue) -> str:
        directory, _, name = str(issue.path).rpartition(os.sep)
        prefix = prefixes.get(directory)
        if prefix is None:
            prefix = prefixes[directory] = _relative_link(Path(directory or "."), base)
        return name if prefix == "." else f"{prefix}/{name}"

    return link


def url_path(text: str) -> str:
    """`text` percent-encoded for a link, as `urllib.parse.quote` does it."""
    # Most issue file names need no encoding, and matching them is quicker than quoting them.
    return text if URL_SAFE.fullmatch(text) else quote(text)


def _relative_link(path: Path, base: Path) -> str:
    return str(PurePosixPath(*Path(os.path.relpath(path, base)).parts))


def log_context(summary: Summary, config: Config) -> dict[str, Any]:
    """What ISSUES.md.j2 sees: the summary, the config and a few helpers."""
    links = issue_links(config)
    return {
        "config": config,
        "project": config.project,
        "summary": summary,
        "issues": summary.issues,
        "severities": config.severities,
        "statuses": config.statuses,
        "link": Helper(lambda issue: f"[{issue.id}]({url_path(links(issue))})"),
        "age": Helper(summary.age_days),
        "severity_of": Helper(config.severity),
        "status_of": Helper(config.status),
        "weekly_theme": _weekly_theme(),
    }


def log_filters(config: Config) -> dict[str, Callable[..., str | int | None]]:
    """Filters for a log's table rows: `issue | link`, `issue | age`, `name | severity_cell`...

    The same as the helpers in `log_context` (`link(issue)`, `age(issue)`), but a log calls them
    for each of thousands of rows, and Jinja2 calls a filter directly where it sends a function
    call through the context, which costs more than the helper itself.
    """
    links = issue_links(config)

    def labelled(configured: Severity | Status | None, name: str) -> str:
        return f"{table_cell(configured.emoji)} {table_cell(configured.label)}" if configured \
            else table_cell(name)

    @jinja2.pass_context
    def age(context: jinja2.runtime.Context, issue: Issue) -> int | None:
        summary = context.get("summary")
        if summary is None:  # a macro imported without context
            raise jinja2.TemplateRuntimeError(
                "the 'age' filter needs the log's context: import the macros 'with context'")
        return summary.age_days(issue)  # type: ignore[no-any-return]

    def pie_theme(slices: list[Any]) -> str:
        from issuelog.log.charts import mermaid_pie_theme

        return mermaid_pie_theme(slices, config)

    severity_cells = {s.name: labelled(s, s.name) for s in config.severities}
    status_cells = {s.name: labelled(s, s.name) for s in config.statuses}
    return {
        "link": lambda issue: f"[{issue.id}]({url_path(links(issue))})",
        "age": age,
        "severity_cell": lambda name: severity_cells.get(name) or table_cell(name),
        "status_cell": lambda name: status_cells.get(name) or table_cell(name),
        "resolution_time": lambda issue: format_elapsed(_time_to_resolve(issue))
        if issue.resolved and issue.reported else "—",
        "pie_theme": pie_theme,
    }


def render_log(issues: list[Issue], config: Config) -> str:
    """The complete text of ISSUES.md for these issues."""
    from issuelog.log.summary import summarize

    summary = summarize(issues, config)
    template = _load(make_environment(config, extra_filters=log_filters(config)), LOG_TEMPLATE, config)
    return normalize_output(_render(template, log_context(summary, config)))


#: The environment `render_issue` used last, with its configuration: an import of thousands of
#: issues compiles issue.md.j2 once, not once a file (Jinja2 still reloads a changed template).
_last_issue_environment: list[tuple[Config, jinja2.Environment]] = []


def render_issue(fields: dict[str, Any], config: Config) -> str:
    """The text of a new issue file from issue.md.j2."""
    if not _last_issue_environment or _last_issue_environment[0][0] is not config:
        _last_issue_environment[:] = [(config, make_environment(config))]
    template = _load(_last_issue_environment[0][1], ISSUE_TEMPLATE, config)
    text = _render(template, {"config": config, "issue": fields, "yaml": yaml_scalar})
    return normalize_output("\n".join(line.rstrip() for line in text.splitlines()))


#: `diff` Markdown stays short at any scale: each kind shows at most this many rows ("and N
#: more" after them; `--format json` lists every change), folded in <details> above FOLD_ABOVE.
DIFF_ROWS_PER_KIND = 50
DIFF_FOLD_ABOVE = 10
#: Longer values (titles, error messages) are cut in a diff's table cells.
DIFF_VALUE_CHARS = 80


def render_diff(diff: IssueDiff, base: str, commit: str, config: Config, link_base: str = "") -> str:
    """Markdown for a pull request comment: the issues opened, resolved, reopened or changed."""
    from issuelog.log.changes import CHANGE_KINDS

    environment = make_environment(config)
    template = _load(environment, DIFF_TEMPLATE, config)

    def label(field: str, name: str) -> str:
        configured = (config.severity(name) if field == "severity"
                      else config.status(name) if field == "status" else None)
        text = configured.label if configured else name or "—"
        if len(text) > DIFF_VALUE_CHARS:  # an error message or a long title: the file has it all
            text = text[:DIFF_VALUE_CHARS - 1] + "…"
        return table_cell(text)

    # A removed issue's file is gone from the revision the links lead to: it gets no link.
    removed = {change.issue.id for change in diff.changes if change.kind == "removed"}

    def link(issue: Issue) -> str:
        if issue.id in removed:
            return table_cell(issue.id)
        return f"[{issue.id}]({issue_url(issue, config, link_base)})"

    context = {
        "config": config, "diff": diff, "base": base, "commit": commit, "kinds": CHANGE_KINDS,
        "link": link, "max_rows": DIFF_ROWS_PER_KIND, "fold_above": DIFF_FOLD_ABOVE,
        "label": label, "severity_of": config.severity, "status_of": config.status,
    }
    return normalize_output(_render(template, context))


def issue_url(issue: Issue, config: Config, link_base: str = "") -> str:
    """The issue file's path from the project root, after `link_base` (such as a blob URL)."""
    relative = PurePosixPath(*Path(os.path.relpath(issue.path, config.root)).parts).as_posix()
    return link_base + relative.replace(" ", "%20")
