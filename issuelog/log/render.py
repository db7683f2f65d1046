"""Rendering ISSUES.md and new issue files from Jinja2 templates in a sandbox."""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import functools
import json
import os
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, soft_str
from markupsafe import escape as escape_html

from issuelog.core.config import (
    ISSUE_TEMPLATE,
    LOG_TEMPLATE,
    Config,
    Severity,
    Status,
    builtin_templates_dir,
    format_duration,
)
from issuelog.core.model import Issue
from issuelog.errors import TemplateError

if TYPE_CHECKING:
    from issuelog.log.stats import IssueDiff, Summary

DIFF_TEMPLATE = "diff.md.j2"
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n|\r|\n")
#: What `table_cell` escapes or replaces.
_CELL_SPECIAL = re.compile(r"[&<>\\|\r\n]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_BACKTICKS = re.compile(r"`+")
#: What `urllib.parse.quote` leaves as it is: ASCII letters and digits, `_.-~` and `/`.
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")


def table_cell(value: Any) -> str:
    """Make any value safe inside a Markdown table cell: no pipes, newlines or raw HTML."""
    if value is None:
        return ""
    if type(value) is str and not _CELL_SPECIAL.search(value):
        return value.strip()  # most values: nothing to escape
    text = format_value(value).strip()
    if "`" in text:
        return "".join(_escape_code(part).replace("|", "\\|") if code else _escape_cell(part)
                       for code, part in code_spans(text))
    return _escape_cell(text)


def _escape_cell(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _NEWLINES.sub("<br>", text)


def _escape_code(span: str) -> str:
    """A code span as it is: Markdown shows `<` and `&` in code literally, so they stay raw.

    Escaping them would show `&lt;` on GitHub. Only line breaks, which a cell cannot hold and a
    code span shows as spaces anyway, become spaces.
    """
    return _NEWLINES.sub(" ", span)


def code_spans(text: str) -> list[tuple[bool, str]]:
    """`text` cut into (is_code, part): a code span is a backtick run up to the next run of the
    same length (CommonMark); an unmatched run is plain text."""
    parts: list[tuple[bool, str]] = []
    runs = list(_BACKTICKS.finditer(text))
    plain_start = index = 0
    while index < len(runs):
        opening = runs[index]
        closing = next((later for later in runs[index + 1:]
                        if len(later.group()) == len(opening.group())), None)
        if closing is None:
            index += 1
            continue
        if opening.start() > plain_start:
            parts.append((False, text[plain_start:opening.start()]))
        parts.append((True, text[opening.start():closing.end()]))
        plain_start = closing.end()
        index = runs.index(closing) + 1
    if plain_start < len(text):
        parts.append((False, text[plain_start:]))
    return parts


def inline_text(value: Any) -> str:
    """One line of text for headings and list items: newlines folded, HTML escaped."""
    text = " ".join(format_value(value).split())
    if "`" in text:
        return "".join(part if code else _escape_html(part) for code, part in code_spans(text))
    return _escape_html(text)


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_value(value: Any) -> str:
    """Dates as ISO, lists joined with commas, everything else as text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(item) for item in value)
    return "" if value is None else str(value)


def format_elapsed(delta: timedelta | None) -> str:
    """A time to resolve for readers: `same day`, `3 days`, `5h`, `2d 4h`."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "same day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def format_sla(delta: timedelta | None) -> str:
    """An SLA target for readers, or a dash when none is set."""
    return format_duration(delta) if delta is not None else "—"


def code_fence(text: Any) -> str:
    """`text` in a fenced code block whose fence is longer than any backtick run inside it."""
    body = format_value(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def mermaid_string(value: Any) -> str:
    """A double-quoted Mermaid label on one line: inner quotes become single quotes."""
    text = " ".join(format_value(value).split()).replace('"', "'")
    return f'"{text}"'


#: What a template may read of a path: text, never the file system behind it.
_PATH_TEXT_ATTRIBUTES = frozenset({"name", "stem", "suffix", "suffixes", "parts", "as_posix"})
_MAX_EXPONENT = 1000
_MAX_REPEATED_LENGTH = 1_000_000
#: Bounds on a project template's work and output (SECURITY.md): padding and precision given to
#: `format`, `%`, `ljust`, `center`..., the length of one text value a template builds, the
#: iterations of all its loops together, and the size of what it renders.
MAX_TEXT_WIDTH = 10_000
MAX_VALUE_CHARS = 1_000_000
MAX_LOOP_ITERATIONS = 5_000_000
MAX_RENDERED_CHARS = 64 * 1024 * 1024
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")
_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "format", "replace")
#: The loop iterations left to the render under way (each render sets its own budget).
_loop_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("loop_budget")
#: Date and time methods that read the clock or the machine's time zone: a log using them would
#: change with the day, or the machine, it is rendered on.
_CLOCK_ATTRIBUTES = frozenset({
    "today", "now", "utcnow", "fromtimestamp", "utcfromtimestamp", "timestamp", "astimezone",
})
#: Filters that return a one-off iterator, which prints as its memory address: templates get lists.
_LAZY_FILTERS = ("map", "select", "reject", "selectattr", "rejectattr", "unique", "items", "reverse",
                 "batch", "slice")
#: Filters that turn any value into text (Jinja2's and issuelog's): their arguments are checked
#: like what `{{ }}` prints.
_TEXT_FILTERS = ("capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower",
                 "pprint", "replace", "safe", "striptags", "title", "trim", "truncate", "upper",
                 "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr", "cell", "inline", "value",
                 "fence", "mermaid", "markdown", "severity_cell", "status_cell", "code")
#: `%s` in a date format is seconds since 1970 in the machine's time zone (a C library extension).
_EPOCH_SECONDS = re.compile(r"%[-_0^#]*[0-9]*s")
#: Values whose text is their data, the same on every run and every machine.
_PLAIN_TYPES = (str, int, float, date, time, timedelta, range)
_PLAIN_OR_UNDEFINED = (*_PLAIN_TYPES, jinja2.Undefined)
_COMMON_PLAIN_TYPES = frozenset({str, int, date, datetime, type(None)})
#: What the sandbox hands to templates as data instead: a path relative to the root, a sorted set.
_PATH_AND_SET_TYPES = frozenset({type(Path()), set, frozenset})
_PURE_FUNCTION = ("ISSUES.md must depend only on the issue files, the configuration and the "
                  "templates")


def _is_clock(obj: Any) -> bool:
    """Whether `obj` is a date, a time or one of their classes, whose clock methods are refused."""
    return isinstance(obj, (date, time)) or (isinstance(obj, type) and issubclass(obj, (date, time)))


def _refuse_randomness(what: str) -> Callable[..., NoReturn]:
    """A stand-in for a Jinja2 filter or function whose result is random."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise SecurityError(f"{what} gives a different result on every render; {_PURE_FUNCTION}")

    return refuse


def _unordered_part(value: Any, depth: int = 0) -> str | None:
    """What in `value` would print differently on another run or machine, or None if nothing."""
    if value is None or isinstance(value, _PLAIN_OR_UNDEFINED):
        return None  # an undefined value raises its own error when printed
    if isinstance(value, PurePath):
        return "an absolute path, which names the directories of this machine" \
            if value.is_absolute() else None
    if isinstance(value, (set, frozenset)):
        return "a set, whose order changes from one run to the next (sort it first)"
    if depth > 60:  # deeper than any issue file may nest
        return "a value nested too deeply to check"
    if isinstance(value, (list, tuple)):
        return next(filter(None, (_unordered_part(item, depth + 1) for item in value)), None)
    if isinstance(value, dict):
        parts = (_unordered_part(item, depth + 1) for pair in value.items() for item in pair)
        return next(filter(None, parts), None)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = (_unordered_part(getattr(value, field.name), depth + 1)
                 for field in dataclasses.fields(value) if field.repr)
        return next(filter(None, parts), None)
    if callable(value):
        return f"a {type(value).__name__}, which prints as its memory address (call it instead)"
    return f"a {type(value).__name__}, which prints as Python's description of it, not as data"


def shown_value(value: Any) -> Any:
    """`value` if its text is data; a template printing anything else is refused."""
    if type(value) in _COMMON_PLAIN_TYPES:  # nearly every value a log prints
        if type(value) is str and len(value) > MAX_VALUE_CHARS:
            _check_length(len(value), "a value")
        return value
    problem = _unordered_part(value)
    if problem is not None:
        raise SecurityError(f"cannot print {problem}; {_PURE_FUNCTION}")
    return value


def _checked_text_filter(text_filter: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja2 filter that refuses arguments whose text is not data, as `{{ }}` does."""
    skip = 1 if getattr(text_filter, "jinja_pass_arg", None) else 0  # the context or environment

    @functools.wraps(text_filter)  # keeps that marker too
    def checked(*args: Any, **kwargs: Any) -> Any:
        for value in args[skip:]:
            if type(value) not in _COMMON_PLAIN_TYPES:  # a log's values are mostly these
                shown_value(value)
        for value in kwargs.values():
            shown_value(value)
        return text_filter(*args, **kwargs)

    return checked


@jinja2.pass_eval_context
def _checked_join(
    eval_ctx: jinja2.nodes.EvalContext, value: Any, d: str = "", attribute: str | int | None = None
) -> str:
    """Jinja2's `join`, refusing items whose text is not data."""
    if attribute is not None:
        value = map(jinja2.filters.make_attrgetter(eval_ctx.environment, attribute), value)
    items = shown_value(list(value))
    return jinja2.filters.sync_do_join(eval_ctx, items, d)


def _check_date_format(text: str, values: Iterable[Any]) -> None:
    """Refuse `%s` in a format applied to a date: its number depends on the time zone."""
    if any(_is_clock(value) for value in values) and _EPOCH_SECONDS.search(text.replace("%%", "")):
        raise SecurityError(f"'%s' in a date format counts seconds in the machine's time zone; "
                            f"{_PURE_FUNCTION}")


def _listed(lazy_filter: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja2 filter returning a list where the original returns a one-off iterator."""

    @functools.wraps(lazy_filter)  # keeps the marker that asks Jinja2 for the context
    def listed(*args: Any, **kwargs: Any) -> Any:
        result = lazy_filter(*args, **kwargs)
        return result if isinstance(result, str) else list(result)

    return listed


def _check_width(width: Any, what: str) -> None:
    """Refuse padding or precision so wide that the text alone would exhaust memory."""
    if isinstance(width, int) and not isinstance(width, bool) and width > MAX_TEXT_WIDTH:
        raise SecurityError(f"{what}: a width of {width} is too large (the limit is {MAX_TEXT_WIDTH})")


def _check_length(length: int, what: str) -> None:
    if length > MAX_VALUE_CHARS:
        raise SecurityError(f"{what} makes a text of {length} characters (the limit is "
                            f"{MAX_VALUE_CHARS})")


def _check_format_spec(text: str, values: Iterable[Any]) -> None:
    """The widths in a `str.format` text; a width taken from a value (`{:{w}}`) checks the values."""
    pending = [text]
    while pending:
        for _, _, spec, _ in string.Formatter().parse(pending.pop()):
            if not spec:
                continue
            if "{" in spec:
                pending.append(spec)
                for value in values:
                    _check_width(value, "format()")
            for number in re.findall(r"\d+", spec):
                _check_width(int(number), "format()")


def _check_percent_format(text: str, right: Any) -> None:
    """The widths in a `'%10d' % value` text; `*` takes a width from the values."""
    values = right if isinstance(right, tuple) else (right,)
    for width, precision in _PERCENT_FIELD.findall(text.replace("%%", "")):
        for number in (width, precision):
            if number == "*":
                for value in values:
                    _check_width(value, "'%' formatting")
            elif number:
                _check_width(int(number), "'%' formatting")


def _check_str_method(method: Any, args: tuple[Any, ...]) -> None:
    """Refuse `'x'.ljust(10**9)`, a `replace` or `expandtabs` that would make a huge text."""
    name = getattr(method, "__name__", None)
    text = getattr(method, "__self__", None)
    if not isinstance(text, str):
        return
    if name in _PADDING_METHODS:
        for value in args:
            _check_width(value, f"{name}()")
        if name == "expandtabs" and args and isinstance(args[0], int):
            _check_length(len(text) + text.count("\t") * args[0], "expandtabs()")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        _check_replace(text, args[0], args[1])


def _check_replace(text: str, old: str, new: str) -> None:
    matches = len(text) + 1 if not old else text.count(old)
    _check_length(len(text) + matches * max(len(new) - len(old), 0), "replace()")


def _bounded_filter(name: str, jinja_filter: Callable[..., Any]) -> Callable[..., Any]:
    """A Jinja2 text filter whose width arguments and result size are bounded."""
    skip = 1 if getattr(jinja_filter, "jinja_pass_arg", None) else 0

    @functools.wraps(jinja_filter)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value, rest = (args[skip] if len(args) > skip else ""), args[skip + 1:]
        text = soft_str(value) if isinstance(value, str) else ""
        if name == "format":
            _check_percent_format(text, tuple(rest) or tuple(kwargs.values()))
        elif name == "replace" and len(rest) >= 2:
            _check_replace(text, soft_str(rest[0]), soft_str(rest[1]))
        else:
            for width in (*rest, kwargs.get("width")):
                _check_width(width, f"the '{name}' filter")
            if name == "indent":
                width = rest[0] if rest else kwargs.get("width", 4)
                if isinstance(width, int):
                    _check_length(len(text) + (text.count("\n") + 1) * width, "the 'indent' filter")
        return jinja_filter(*args, **kwargs)

    return bounded


class _CountedLoop:
    """A loop's iterable that counts its items against the render's loop budget."""

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        budget = _loop_budget.get(None)
        if budget is None:
            yield from self.items
            return
        for item in self.items:
            budget[0] -= 1
            if budget[0] < 0:
                raise SecurityError(f"the template's loops ran more than {MAX_LOOP_ITERATIONS} "
                                    "iterations")
            yield item


class _CodeGenerator(CodeGenerator):
    """Jinja2's compiler, checking what `a ~ b` joins the way `{{ value }}` output is checked,
    and counting loop iterations."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        check = nodes.EnvironmentAttribute("shown_value")
        checked = [nodes.Call(check, [child], [], None, None, lineno=child.lineno)
                   for child in node.nodes]
        super().visit_Concat(nodes.Concat(checked, lineno=node.lineno), frame)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = nodes.Call(nodes.EnvironmentAttribute("counted_loop"), [node.iter], [], None, None,
                             lineno=node.lineno)
        super().visit_For(nodes.For(node.target, counted, node.body, node.else_, node.test,
                                    node.recursive, lineno=node.lineno), frame)


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, also closed to the file system and to everything that is not the data.

    A template may come from a pull request. The stock sandbox stops Python internals
    (`__class__`, `__globals__`) but lets templates call public methods, and a `Path` in the
    context (`config.root`, `issue.path`) has `read_text` and `write_text`. ISSUES.md must also
    be a pure function of the issue files, the configuration and the templates, so the clock,
    random values, set order, memory addresses and the project's place on disk are kept out too.
    """

    code_generator_class = _CodeGenerator

    def __init__(self, *, root: Path, filters: Mapping[str, Callable[..., Any]], **options: Any) -> None:
        super().__init__(finalize=shown_value, **options)
        self.data_types = _data_types()
        self.root = root
        self.shown_value = shown_value
        self.counted_loop = _CountedLoop
        self.filters.update(filters)
        self.filters["string"] = lambda value: soft_str(shown_value(value))
        self.filters["attr"] = jinja2.pass_environment(
            lambda environment, obj, name: environment.getattr(obj, str(name)))
        self.filters["random"] = _refuse_randomness("the 'random' filter")
        self.globals["lipsum"] = _refuse_randomness("lipsum()")
        for name in _LAZY_FILTERS:
            self.filters[name] = _listed(self.filters[name])
        for name in _TEXT_FILTERS:
            if name in self.filters:
                self.filters[name] = _checked_text_filter(self.filters[name])
        self.filters["join"] = _checked_join
        for name in _WIDTH_FILTERS:
            self.filters[name] = _bounded_filter(name, self.filters[name])

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Refuse every path attribute that is not plain text, and methods reading the clock."""
        if isinstance(obj, PurePath) and attr not in _PATH_TEXT_ATTRIBUTES:
            return False
        if attr in _CLOCK_ATTRIBUTES and _is_clock(obj):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        """The error a refused attribute raises when used; a clock method says why it is refused."""
        if attribute in _CLOCK_ATTRIBUTES and _is_clock(obj):
            return self.undefined(
                f"'{attribute}' reads the clock or the machine's time zone; {_PURE_FUNCTION} "
                "(summary.last_updated is the newest date in the data)",
                name=attribute, obj=obj, exc=SecurityError,
            )
        return super().unsafe_undefined(obj, attribute)

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse `'x' * 10**10` and `10**10**10` (they would exhaust memory or time), and
        `'%s' % value` of a value whose text is not data."""
        if operator == "%" and isinstance(left, str):
            shown_value(right)
            _check_percent_format(left, right)
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
            _check_length(len(left) + len(right), "'+'")
        if operator == "**" and isinstance(right, int) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large (the limit is {_MAX_EXPONENT})")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                        and len(sequence) * count > _MAX_REPEATED_LENGTH):
                    raise SecurityError(f"repeating a sequence {count} times makes it too long "
                                        f"(the limit is {_MAX_REPEATED_LENGTH} items)")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template: issuelog's data objects skip the sandbox's checks."""
        # The checks guard Python internals (names with `_`) and mutating methods of lists, dicts
        # and sets; issuelog's data classes have neither, and a log reads their fields thousands
        # of times, so the checks would cost more than the rest of the rendering.
        if type(obj) in self.data_types and not attribute.startswith("_"):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                value = super().getattr(obj, attribute)
        else:
            value = super().getattr(obj, attribute)
        return self._as_data(value) if type(value) in _PATH_AND_SET_TYPES else value

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`obj[key]` in a template: a field of issuelog's data objects as `obj.key` gives it."""
        if type(obj) in self.data_types and isinstance(argument, str):
            return self.getattr(obj, argument)
        value = super().getitem(obj, argument)
        return self._as_data(value) if type(value) in _PATH_AND_SET_TYPES else value

    def _as_data(self, value: Any) -> Any:
        """A path relative to the project root (where it is checked out is no data); a set sorted."""
        if isinstance(value, PurePath):
            return PurePosixPath(*Path(os.path.relpath(value, self.root)).parts)
        try:
            return tuple(sorted(value))
        except TypeError:  # items of different types
            return tuple(sorted(value, key=repr))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{}'.format(value)` in a template: refused for values whose text is not data."""
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        text = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            for item in (*args, *kwargs.values()):
                shown_value(item)
            _check_date_format(text, (*args, *kwargs.values(), *(
                nested for item in args if isinstance(item, dict) for nested in item.values())))
            _check_format_spec(text, (*args, *kwargs.values()))
            return formatter(*args, **kwargs)

        return functools.update_wrapper(checked, formatter)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """A call in a template: issuelog's helpers and the template's own macros go straight in."""
        # Neither is marked unsafe or asks for the context, so the sandbox's inspection of every
        # call (a third of the time of a large log) would find nothing; it still sees all others.
        if type(__obj) is Helper or type(__obj) is jinja2.runtime.Macro:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        if getattr(__obj, "__name__", None) == "strftime" and args and isinstance(args[0], str):
            _check_date_format(args[0], [getattr(__obj, "__self__", None)])
        _check_str_method(__obj, (*args, *kwargs.values()))
        result = super().call(__context, __obj, *args, **kwargs)
        if type(result) is str and len(result) > MAX_VALUE_CHARS:
            _check_length(len(result), f"{getattr(__obj, '__name__', 'a call')}()")
        return result


class Helper:
    """A function of issuelog's data offered to templates (`link`, `age`, `severity_of`...)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function."""
        return self.function(*args, **kwargs)


def _data_types() -> frozenset[type]:
    """issuelog's data classes, whose fields templates read."""
    from issuelog.log.stats import Capped, Count, PhaseRow, ResolutionRow, Summary

    return frozenset({Issue, Config, Severity, Status, Summary, Count, PhaseRow, ResolutionRow,
                      Capped})


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
        return _Environment(root=config.root, filters=filters, loader=_loader(config), **options)
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
        raise TemplateError(f"{shown_path(error.filename) or name}:{error.lineno}: {error.message}") from None
    except UnicodeDecodeError as error:
        raise TemplateError(f"template '{name}' is not valid UTF-8 (byte {error.start})") from None


def shown_path(filename: str | None) -> str:
    """A template's path as messages show it: relative to the current directory when inside it."""
    if not filename:
        return ""
    try:
        return str(Path(filename).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return filename


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
    token = _loop_budget.set([MAX_LOOP_ITERATIONS])
    try:
        return _bounded_output(template, context)
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
    except (TypeError, ValueError, AttributeError, ArithmeticError, jinja2.TemplateError) as error:
        raise TemplateError(f"{_failing_template(error, template)}: {error}") from None
    except MemoryError:
        name = shown_path(template.filename) or template.name
        raise TemplateError(f"{name}: ran out of memory while rendering") from None
    finally:
        _loop_budget.reset(token)


def _bounded_output(template: jinja2.Template, context: dict[str, Any]) -> str:
    """The rendered text, refused as soon as it grows past `MAX_RENDERED_CHARS`."""
    parts: list[str] = []
    size = 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_RENDERED_CHARS:
            raise SecurityError(f"the rendered text is over {MAX_RENDERED_CHARS // (1024 * 1024)} "
                                "MiB (the limit)")
        parts.append(part)
    return "".join(parts)


def code_spans_html(value: Any) -> Markup:
    """One line of text as HTML, escaped, with its `code spans` shown as code (titles)."""
    parts = []
    for code, part in code_spans(format_value(value)):
        if not code:
            parts.append(str(escape_html(part)))
            continue
        inner = part.strip("`")
        if inner.startswith(" ") and inner.endswith(" ") and inner.strip():
            inner = inner[1:-1]  # CommonMark strips one space each side
        parts.append(f"<code>{escape_html(inner)}</code>")
    return Markup("".join(parts))


def trusted_html(text: str) -> Markup:
    """Mark HTML that issuelog built itself (escaping what it took from issues) as safe."""
    return Markup(text)  # the callers escape every value they put in


def markdown_html(text: Any, anchors: Mapping[str, str] | None = None) -> Markup:
    """An issue body as safe HTML; links to an issue file named in `anchors` become `#ID`."""
    known = anchors or {}

    def to_anchor(href: str) -> str:
        if _URL_SCHEME.match(href) or href.startswith("#"):
            return href
        name = PurePosixPath(href.split("#", 1)[0].split("?", 1)[0]).name
        return f"#{known[name]}" if name in known else href

    # Imported here: markdown-it-py is only needed for HTML, and `render` and `new` start faster.
    from issuelog.core.sections import markdown_to_html

    # markdown-it escapes the text and drops raw HTML (html=False), so the result is safe.
    return Markup(markdown_to_html(format_value(text), heading_offset=2, rewrite_href=to_anchor))


def load_template_source(name: str, config: Config) -> str:
    """The text of a template file (the project's copy first), e.g. a script the page inlines."""
    try:
        source, _, _ = _loader(config).get_source(make_environment(config), name)
    except jinja2.TemplateNotFound:
        places = ", ".join(str(p / name) for p in (config.templates_path, builtin_templates_dir()))
        raise TemplateError(f"template '{name}' not found; looked in: {places}") from None
    return _NEWLINES.sub("\n", source)


def render_html(name: str, context: dict[str, Any], config: Config) -> str:
    """Render an HTML template with autoescape; LF line endings and one trailing newline."""
    template = _load(make_environment(config, html=True), name, config)
    text = _NEWLINES.sub("\n", _render(template, context))
    return text.strip("\n") + "\n"


def normalize_output(text: str) -> str:
    """LF line endings, at most one blank line in a row, exactly one trailing newline."""
    # A large log is tens of megabytes in memory (emoji make Python keep four bytes a character):
    # each step copies the text only when it has something to change, and the built-in templates
    # give text that needs none.
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)  # the same object back when nothing matches
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
    return text if _URL_SAFE.fullmatch(text) else quote(text)


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
        return context["summary"].age_days(issue)  # type: ignore[no-any-return]

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


def log_template(config: Config) -> jinja2.Template:
    """The master log's template, loaded and compiled, ready for `render_log`."""
    return _load(make_environment(config, extra_filters=log_filters(config)), LOG_TEMPLATE, config)


def render_log(issues: list[Issue], config: Config, template: jinja2.Template | None = None) -> str:
    """The complete text of ISSUES.md for these issues (with `log_template`'s template, if given)."""
    from issuelog.log.stats import summarize

    summary = summarize(issues, config)
    template = template or log_template(config)
    return normalize_output(_render(template, log_context(summary, config)))


def render_issue(fields: dict[str, Any], config: Config) -> str:
    """The text of a new issue file from issue.md.j2."""
    environment = make_environment(config)
    template = _load(environment, ISSUE_TEMPLATE, config)
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
    from issuelog.log.stats import CHANGE_KINDS

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


_YAML_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def yaml_scalar(value: Any, *, in_list: bool = False) -> str:
    """A YAML flow value for a frontmatter line: dates bare, text quoted when it has to be.

    Inside a flow list (`[a, b]`) a comma would split an item, so such items are quoted too.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_scalar(item, in_list=True) for item in value) + "]"
    text = str(value)
    plain = r"[A-Za-z_][\w ./()+-]*" if in_list else r"[A-Za-z_][\w .,/()+-]*"
    if re.fullmatch(plain, text) and not re.match(
        r"^(true|false|yes|no|on|off|null|~)$", text, re.IGNORECASE
    ) and not text.endswith(" "):
        return text
    # JSON's escapes are YAML's too; characters YAML may not hold raw are escaped as \uXXXX.
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


def unified_diff(old: str, new: str, name: str) -> str:
    """A unified diff from the file on disk to what it should be."""
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"{name} (on disk)", tofile=f"{name} (rendered)",
    ))
