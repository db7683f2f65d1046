"""Finding the project root and loading `[tool.issuelog]` / `issuelog.toml` into a Config."""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from issuelog.errors import ConfigError, TemplateError, UsageError

CONFIG_FILE = "issuelog.toml"
PYPROJECT = "pyproject.toml"
LOG_TEMPLATE = "ISSUES.md.j2"
ISSUE_TEMPLATE = "issue.md.j2"


@dataclass(frozen=True)
class Severity:
    """A severity level as shown in the Severity Levels table."""

    name: str
    label: str
    emoji: str = ""
    description: str = ""
    response_time: str = ""
    sla: timedelta | None = None
    #: `response_time` as a duration: the target for acknowledging an issue (None: no target).
    response_sla: timedelta | None = None


@dataclass(frozen=True)
class Status:
    """A status; `open` statuses count as open, `resolved` ones as fixed."""

    name: str
    label: str
    emoji: str = ""
    open: bool = True
    resolved: bool = False


DEFAULT_SEVERITIES = (
    Severity("critical", "Critical", "🔴", "App crashes, data loss, security vulnerability",
             "Immediate", timedelta(hours=4), timedelta(minutes=15)),
    Severity("high", "High", "🟠", "Feature broken, blocking development", "Same day",
             timedelta(hours=24), timedelta(hours=24)),
    Severity("medium", "Medium", "🟡", "Feature degraded, workaround exists", "Within 3 days",
             timedelta(weeks=1), timedelta(days=3)),
    Severity("low", "Low", "🟢", "Minor issue, cosmetic, nice-to-have fix", "When convenient",
             timedelta(weeks=2)),
)

DEFAULT_STATUSES = (
    Status("open", "Open", "🔴", open=True),
    Status("in_progress", "In Progress", "🟡", open=True),
    Status("resolved", "Resolved", "🟢", open=False, resolved=True),
    Status("wont_fix", "Won't Fix", "🔵", open=False),
    Status("duplicate", "Duplicate", "⚪", open=False),
)

#: The error tracker's words that `record` users bring along (`tracker_vocabulary = true`).
TRACKER_SEVERITIES = (
    Severity("info", "Info", "🔵", "For the record: no action needed", "None"),
)
TRACKER_STATUSES = (
    Status("investigating", "Investigating", "🟣", open=True),
)

DEFAULT_CATEGORIES = (
    "security", "performance", "reliability", "data_integrity", "configuration",
    "deployment", "integration", "validation", "monitoring", "other",
)

#: Every frontmatter key issuelog knows, in the order files and JSON show them.
ISSUE_FIELDS = (
    "id", "title", "status", "severity", "phase", "category", "component",
    "reported", "resolved", "reporter", "assignee", "tags", "related", "files",
    "error_type", "error_message", "fingerprint", "fingerprint_version", "occurrences",
    "last_seen", "reference", "reference_only",
    # The incident timeline (optional, dated to the minute) and the commit that fixed an issue.
    "started", "detected", "acknowledged", "mitigated", "fixed_in",
)

DEFAULT_REQUIRED = ("id", "title", "status", "severity", "reported")


@dataclass(frozen=True)
class Config:
    """Every setting of a project; the defaults mirror a typical hand-kept log."""

    project: str = "Project"
    id_prefix: str = "ISSUE"
    id_width: int = 3
    issues_dir: str = "issues"
    output: str = "ISSUES.md"
    templates_dir: str = ".issuelog/templates"
    severities: tuple[Severity, ...] = DEFAULT_SEVERITIES
    statuses: tuple[Status, ...] = DEFAULT_STATUSES
    phases: tuple[str, ...] = ()
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    required: tuple[str, ...] = DEFAULT_REQUIRED
    default_status: str = "open"
    charts: bool = True  # Mermaid charts in ISSUES.md (GitHub and GitLab draw them)
    # Rows each table of ISSUES.md shows at most (0: all): the log stays readable at any size.
    log_rows: int = 50
    # Branches (glob patterns) on which ISSUES.md is rendered and checked; empty: every branch.
    render_branches: tuple[str, ...] = ()
    # The branch whose issue IDs never move (`renumber`, `check --against`); empty: origin/HEAD,
    # else main, master or init.defaultBranch.
    default_branch: str = ""
    # `new` skips IDs taken on branches with a commit in this many days (the default branch and
    # the current one always count); 0: every branch, however old.
    id_branch_days: int = 30
    # Words that, before an issue's ID in a commit message on the default branch, resolve it
    # (`Fixes: ISSUE-007`, `Closes ISSUE-007`, `Resolves #7`); empty: commits close nothing.
    closing_keywords: tuple[str, ...] = (
        "fix", "fixes", "fixed", "close", "closes", "closed", "resolve", "resolves", "resolved")
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None

    @property
    def issues_path(self) -> Path:
        """The directory that holds one Markdown file per issue."""
        return self.root / self.issues_dir

    @property
    def output_path(self) -> Path:
        """The rendered master log."""
        return self.root / self.output

    @property
    def templates_path(self) -> Path:
        """The project's template overrides."""
        return self.root / self.templates_dir

    # Cached: validation asks for these for each of thousands of issues. A frozen dataclass
    # may cache (cached_property writes the instance dict), and the cache is not a field, so
    # it takes no part in comparisons or repr.
    @functools.cached_property
    def id_pattern(self) -> re.Pattern[str]:
        """Matches a full issue ID such as `ISSUE-007` and captures its number."""
        return re.compile(rf"^{re.escape(self.id_prefix)}-(\d+)$")

    @functools.cached_property
    def allowed_values(self) -> dict[str, tuple[str, ...]]:
        """The names each of status, severity, phase and category may take (empty: any)."""
        return {
            "status": tuple(s.name for s in self.statuses),
            "severity": tuple(s.name for s in self.severities),
            "phase": tuple(self.phases),
            "category": tuple(self.categories),
        }

    @functools.cached_property
    def _severities_by_name(self) -> dict[str, Severity]:
        return {s.name: s for s in reversed(self.severities)}  # the first of a name wins

    @functools.cached_property
    def _statuses_by_name(self) -> dict[str, Status]:
        return {s.name: s for s in reversed(self.statuses)}

    def format_id(self, number: int) -> str:
        """`7` -> `ISSUE-007`; numbers wider than the width keep all their digits."""
        return f"{self.id_prefix}-{number:0{self.id_width}d}"

    def renders_on(self, branch: str | None) -> bool:
        """Whether ISSUES.md is rendered and checked on `branch` (an unknown branch: yes)."""
        if not self.render_branches or branch is None:
            return True
        return any(fnmatch.fnmatchcase(branch, pattern) for pattern in self.render_branches)

    def severity(self, name: str) -> Severity | None:
        """The configured severity of that name, if any."""
        return self._severities_by_name.get(name)

    def status(self, name: str) -> Status | None:
        """The configured status of that name, if any."""
        return self._statuses_by_name.get(name)

    @property
    def open_statuses(self) -> tuple[str, ...]:
        """Names of the statuses that count as open."""
        return tuple(s.name for s in self.statuses if s.open)


#: The comment each key gets in the `issuelog.toml` that `init` writes.
_KEY_NOTES = {
    "id_prefix": "IDs look like ISSUE-007",
    "id_width": "zero padding; numbering goes on past it (ISSUE-1000)",
    "issues_dir": "one Markdown file per issue",
    "output": "the rendered log",
    "templates_dir": "a template here overrides the built-in one of the same name",
    "phases": 'in order, e.g. ["Phase 1", "Phase 2"]; empty: any phase is accepted',
    "categories": "empty: any category is accepted",
    "required": "fields every issue must have",
    "default_status": "the status of a new issue",
    "charts": "Mermaid charts in the rendered log",
    "render_branches": 'where the log is rendered and checked, e.g. ["main"]; empty: everywhere',
    "log_rows": "rows each table of the log shows at most; 0: every row",
    "default_branch": "the branch whose IDs never move; empty: origin/HEAD, else main or master",
    "id_branch_days": "new skips IDs on branches with no commit in this many days; 0: every branch",
    "closing_keywords": "a commit saying `Fixes: ISSUE-007` on the default branch resolves it",
    "severities_replace": "true: only your [[severities]] below, no defaults",
    "statuses_replace": "true: only your [[statuses]] below, no defaults",
    "tracker_vocabulary": "true: an 'info' severity and an 'investigating' status, for `record`",
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def default_config_text(project: str, team_branch: str | None = None) -> str:
    """The `issuelog.toml` of `init`: the project's name, and every other key at its default.

    Made from `Config`'s own defaults, so that it never disagrees with them: uncommenting any
    line changes nothing. With `team_branch` (inside git), `render_branches` is set to it: the
    team workflow, in which pull requests never conflict in ISSUES.md.
    """
    defaults = Config()
    lines = ["# issuelog configuration. Every key is optional; the values shown are the defaults:",
             "# uncomment a line to change it. README.md (\"Configuration\") explains every key.",
             f"project = {_toml_value(project)}"]
    for item in fields(Config):
        if item.name in ("project", "root", "source", "severities", "statuses"):
            continue
        note = _KEY_NOTES.get(item.name, "")
        if item.name == "render_branches" and team_branch is not None:
            lines += ["# ISSUES.md is rendered on the default branch only: pull requests carry issue "
                      "files and never", "# conflict in it; CI renders and commits it after each "
                      "merge (README: \"Team workflow\").", "# Delete this line to render and "
                      "commit ISSUES.md on every branch instead.",
                      f"render_branches = [{_toml_value(team_branch)}]"]
            continue
        lines.append(f"# {item.name} = {_toml_value(getattr(defaults, item.name))}"
                     + (f"  # {note}" if note else ""))
    for key in ("severities_replace", "statuses_replace", "tracker_vocabulary"):
        lines.append(f"# {key} = false  # {_KEY_NOTES[key]}")
    lines += ["", "# Severities, most severe first. Yours are added to these (or replace the one of "
              "the same name);", "# `before = \"critical\"` puts a new one before another."]
    for severity in defaults.severities:
        lines += ["", "# [[severities]]"]
        for name, value in (("name", severity.name), ("label", severity.label),
                            ("emoji", severity.emoji), ("description", severity.description),
                            ("response_time", severity.response_time),
                            ("sla", format_duration(severity.sla) if severity.sla else ""),
                            ("response_sla", format_duration(severity.response_sla)
                             if severity.response_sla else "")):
            if value:
                lines.append(f"# {name} = {_toml_value(value)}")
    lines += ["", "# Statuses: `open` ones count as open, `resolved` ones as fixed."]
    for status in defaults.statuses:
        lines += ["", "# [[statuses]]"]
        lines += [f"# {name} = {_toml_value(value)}" for name, value in (
            ("name", status.name), ("label", status.label), ("emoji", status.emoji),
            ("open", status.open), ("resolved", status.resolved))]
    return "\n".join(lines) + "\n"


def builtin_templates_dir() -> Path:
    """The default templates: inside the installed package, or the repository's `templates/`."""
    package = Path(__file__).resolve().parent.parent  # issuelog/, above core/
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / LOG_TEMPLATE).is_file():
            return candidate
    raise TemplateError(
        f"the built-in templates are missing: looked in {package / 'templates'} "
        f"and {package.parent / 'templates'}"
    )


_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$", re.I
)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse `4h`, `24 hours`, `1w`, `3 days`, `30m` into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. '4h', '3 days', '1w')")
    amount, unit = float(match.group(1)), match.group(2)[0].lower()
    return timedelta(seconds=amount * _UNIT_SECONDS[unit])


def format_duration(delta: timedelta) -> str:
    """A duration for readers: `4 hours`, `24 hours`, `3 days`, `1 week`, `90 minutes`."""
    seconds = int(delta.total_seconds())
    for unit, size, smallest in (("week", 604800, 1), ("day", 86400, 2), ("hour", 3600, 1)):
        if seconds >= size * smallest and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def find_config_file(start: Path) -> Path | None:
    """Walk up from `start` like git does; return the first issuelog.toml or configuring pyproject."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _pyproject_section(pyproject) is not None:
            return pyproject
    return None


def find_root(start: Path) -> Path:
    """The project root: the config file's directory, else the enclosing git work tree, else start."""
    config_file = find_config_file(start)
    if config_file is not None:
        return config_file.parent
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def _pyproject_section(path: Path) -> dict[str, Any] | None:
    data = _read_toml(path)
    tool = data.get("tool", {})
    section = tool.get("issuelog") if isinstance(tool, dict) else None
    return section if isinstance(section, dict) else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def working_directory() -> Path:
    """The current directory, or a clear error when it was deleted (say, by a git checkout)."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UsageError("the current directory no longer exists: cd into the project again") from None


def load_project(start: Path | None = None) -> Config:
    """The configuration of the project around `start`; an error when there is no project.

    A project has a config file (issuelog.toml or [tool.issuelog]) or, with the defaults, an
    issues directory at its root. Without either, commands would scatter files wherever they run.
    """
    config = load_config(start)
    if config.source is None and not config.issues_path.is_dir():
        raise UsageError(
            f"no issuelog project here: no issuelog.toml or [tool.issuelog] in {config.root} or "
            f"above, and no {config.issues_dir}/ directory; run `issuelog init` first"
        )
    return config


def load_config(start: Path | None = None) -> Config:
    """Load the configuration in force for `start` (default: the current directory)."""
    start = (start or working_directory()).resolve()
    config_file = find_config_file(start)
    if config_file is None:
        return Config(root=find_root(start))
    if config_file.name == CONFIG_FILE:
        raw = _read_toml(config_file)
        if "tool" in raw:
            tool = raw["tool"]
            if not isinstance(tool, dict) or not isinstance(tool.get("issuelog", {}), dict):
                raise ConfigError(f"{config_file}: '[tool]' must be a table holding [tool.issuelog]")
            raw = tool.get("issuelog", raw)
    else:
        raw = _pyproject_section(config_file) or {}
    return config_from_mapping(raw, root=config_file.parent, source=config_file)


_SCALAR_KEYS = {
    "project": str, "id_prefix": str, "id_width": int, "issues_dir": str, "output": str,
    "templates_dir": str, "default_status": str, "log_rows": int, "default_branch": str,
    "id_branch_days": int,
}
_BOOL_KEYS = {"charts", "severities_replace", "statuses_replace", "tracker_vocabulary"}
_LIST_KEYS = {"phases", "categories", "required", "render_branches", "closing_keywords"}
_KNOWN_KEYS = set(_SCALAR_KEYS) | _BOOL_KEYS | _LIST_KEYS | {"severities", "statuses"}
#: `before` places an added severity or status in the list (default: after the others).
_SEVERITY_KEYS = {f.name for f in fields(Severity)} | {"before"}
_STATUS_KEYS = {f.name for f in fields(Status)} | {"before"}


def closest_name(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The known name that `name` most likely misspells (difflib ratio >= cutoff), or None."""
    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def _unknown_key(where: str, key: str, known: set[str]) -> ConfigError:
    hint = closest_name(key, known)
    suffix = f" Did you mean '{hint}'?" if hint else f" Known keys: {', '.join(sorted(known))}."
    return ConfigError(f"{where}: '{key}' is not a valid option.{suffix}")


def config_from_mapping(raw: dict[str, Any], *, root: Path, source: Path | None = None) -> Config:
    """Validate a raw mapping (from TOML) and build a Config; errors name the file and key."""
    where = str(source) if source else "configuration"
    values: dict[str, Any] = {"root": root, "source": source}
    for key, value in raw.items():
        if key not in _KNOWN_KEYS:
            raise _unknown_key(where, key, _KNOWN_KEYS)
        if key in _SCALAR_KEYS:
            expected = _SCALAR_KEYS[key]
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f"{where}: '{key}' must be a {expected.__name__}, got {value!r}")
            values[key] = value
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
            if key == "charts":
                values[key] = value
        elif key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of strings")
            values[key] = tuple(value)
    tracker = raw.get("tracker_vocabulary") is True
    for key, defaults, extra, build in (
            ("severities", DEFAULT_SEVERITIES, TRACKER_SEVERITIES, _severity),
            ("statuses", DEFAULT_STATUSES, TRACKER_STATUSES, _status)):
        replace = raw.get(f"{key}_replace") is True
        if replace and key not in raw:
            raise ConfigError(f"{where}: '{key}_replace' is true but there are no [[{key}]] to use")
        configured: list[tuple[Any, str | None]] = [
            (build(where, index, item), _before(where, key, index, item))
            for index, item in enumerate(_table_list(where, key, raw[key]))] if key in raw else []
        names = [item.name for item, _ in configured]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"{where}: '{key}' lists {', '.join(duplicates)} more than once")
        base = () if replace else (*defaults, *(extra if tracker else ()))
        if configured or tracker:
            values[key] = _merged(where, key, base, configured)
    if "default_status" not in values and raw.get("statuses_replace") is True:
        # With statuses of its own only, a new issue starts in the first one that counts as open.
        first_open = next((s.name for s in values["statuses"] if s.open), values["statuses"][0].name)
        values["default_status"] = first_open
    config = Config(**values)
    _check_consistency(where, config)
    return config


def _before(where: str, key: str, index: int, item: dict[str, Any]) -> str | None:
    value = item.get("before")
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{where}: {key}[{index}].before must be the name of a {key[:-1]}")
    return value


def _merged(where: str, key: str, base: tuple[Any, ...], configured: list[tuple[Any, str | None]]
            ) -> tuple[Any, ...]:
    """The base list with configured entries: a known name is replaced in place, a new one added.

    A new entry goes before the entry named by its `before` key, else after all the others:
    severities run from the most to the least severe, so a `blocker` says `before = "critical"`.
    """
    merged = list(base)
    for item, before in configured:
        names = [entry.name for entry in merged]
        if item.name in names and before is None:
            merged[names.index(item.name)] = item
            continue
        if item.name in names:
            del merged[names.index(item.name)]
            names.remove(item.name)
        if before is None:
            merged.append(item)
        elif before in names:
            merged.insert(names.index(before), item)
        else:
            hint = closest_name(before, names)
            raise ConfigError(f"{where}: {key} '{item.name}': before = '{before}' is not one of "
                              f"{', '.join(names)}" + (f". Did you mean '{hint}'?" if hint else ""))
    return tuple(merged)


def _table_list(where: str, key: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a non-empty array of tables ([[{key}]])")
    return value


def _severity(where: str, index: int, item: dict[str, Any]) -> Severity:
    for key in item:
        if key not in _SEVERITY_KEYS:
            raise _unknown_key(f"{where}: severities[{index}]", key, _SEVERITY_KEYS)
    name = _required_str(where, f"severities[{index}]", item, "name")
    durations: dict[str, timedelta | None] = {"sla": None, "response_sla": None}
    for key in durations:
        if key in item:
            try:
                durations[key] = parse_duration(str(item[key]))
            except (ValueError, OverflowError) as error:
                raise ConfigError(f"{where}: severities[{index}].{key}: {error}") from None
    return Severity(
        name=name,
        label=str(item.get("label", name.replace("_", " ").title())),
        emoji=str(item.get("emoji", "")),
        description=str(item.get("description", "")),
        response_time=str(item.get("response_time", "")),
        sla=durations["sla"],
        response_sla=durations["response_sla"],
    )


def _status(where: str, index: int, item: dict[str, Any]) -> Status:
    for key in item:
        if key not in _STATUS_KEYS:
            raise _unknown_key(f"{where}: statuses[{index}]", key, _STATUS_KEYS)
    name = _required_str(where, f"statuses[{index}]", item, "name")
    for flag in ("open", "resolved"):
        if flag in item and not isinstance(item[flag], bool):
            raise ConfigError(f"{where}: statuses[{index}].{flag} must be true or false")
    return Status(
        name=name,
        label=str(item.get("label", name.replace("_", " ").title())),
        emoji=str(item.get("emoji", "")),
        open=item.get("open", True),
        resolved=item.get("resolved", False),
    )


def _required_str(where: str, place: str, item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {place}.{key} is required and must be a string")
    return value


def _check_consistency(where: str, config: Config) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", config.id_prefix):
        raise ConfigError(f"{where}: 'id_prefix' must be letters, digits or '_', got {config.id_prefix!r}")
    if config.log_rows < 0:
        raise ConfigError(f"{where}: 'log_rows' must be 0 (no limit) or more, got {config.log_rows}")
    if not 1 <= config.id_width <= 9:
        raise ConfigError(f"{where}: 'id_width' must be between 1 and 9")
    if config.id_branch_days < 0:
        raise ConfigError(f"{where}: 'id_branch_days' must be 0 (every branch) or more days")
    if config.status(config.default_status) is None:
        raise ConfigError(f"{where}: 'default_status' {config.default_status!r} is not a configured status")
    for key in ("issues_dir", "output", "templates_dir"):
        value = PurePosixPath(getattr(config, key).replace("\\", "/"))
        if value.is_absolute() or ".." in value.parts or not value.parts:
            raise ConfigError(f"{where}: '{key}' must be a relative path inside the project, "
                              f"got {getattr(config, key)!r}")
    for status in config.statuses:
        if status.open and status.resolved:
            raise ConfigError(f"{where}: status '{status.name}' cannot be both open and resolved")
    for key in config.required:
        hint = closest_name(key, ISSUE_FIELDS, cutoff=0.75)
        if key not in ISSUE_FIELDS and hint:
            raise ConfigError(f"{where}: 'required' lists '{key}'. Did you mean '{hint}'?")
    if any(not pattern.strip() for pattern in config.render_branches):
        raise ConfigError(f"{where}: 'render_branches' must not contain empty names")
    for keyword in config.closing_keywords:
        if not re.fullmatch(r"[A-Za-z][A-Za-z-]*", keyword):
            raise ConfigError(f"{where}: 'closing_keywords' holds {keyword!r}: each must be a word "
                              "of letters, such as \"fixes\"")
    for kind, names in (("severities", [s.name for s in config.severities]),
                        ("statuses", [s.name for s in config.statuses]),
                        ("phases", list(config.phases)), ("categories", list(config.categories))):
        duplicates = sorted(n for n, times in Counter(names).items() if times > 1)  # linear: 100 000 phases
        if duplicates:
            raise ConfigError(f"{where}: '{kind}' lists {', '.join(duplicates)} more than once")
    root = config.root.resolve()
    for key in ("issues_dir", "output", "templates_dir"):
        # A pull request can also add a symbolic link: keep every read and write in the project.
        target = (config.root / getattr(config, key)).resolve()
        if not target.is_relative_to(root):
            raise ConfigError(f"{where}: '{key}' leads out of the project through a symbolic link "
                              f"({getattr(config, key)} -> {target})")
