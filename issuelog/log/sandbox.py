"""The Jinja2 sandbox: what a template may touch, how long it may run, what it may print.

ISSUES.md must be a pure function of the issue files, the configuration and the templates, so
the clock, random values, set order and memory addresses are refused here.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import os
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, NoReturn

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import soft_str

from issuelog.core.config import Config, Severity, Status
from issuelog.core.model import Issue

if TYPE_CHECKING:
    pass


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
loop_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("loop_budget")
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
        budget = loop_budget.get(None)
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


class SandboxEnvironment(ImmutableSandboxedEnvironment):
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
    from issuelog.log.log_tables import Capped
    from issuelog.log.summary import Count, PhaseRow, ResolutionRow, Summary

    return frozenset({Issue, Config, Severity, Status, Summary, Count, PhaseRow, ResolutionRow,
                      Capped})
