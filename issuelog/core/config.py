"""Finding the project root and loading `[tool.issuelog]` / `issuelog.toml` into a Config."""

from __future__ import annotations

import fnmatch
import functools
import re
import tomllib
from collections import Counter
from dataclasses import Field, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

# Severity, Status, closest_name and format_duration are part of what `config` offers the
# rest of issuelog (the `as` form exports them); they live in `levels`.
from issuelog.core.levels import DEFAULT_SEVERITIES as DEFAULT_SEVERITIES
from issuelog.core.levels import DEFAULT_STATUSES, configured_levels, unknown_key
from issuelog.core.levels import Severity as Severity
from issuelog.core.levels import Status as Status
from issuelog.core.levels import closest_name as closest_name
from issuelog.core.levels import format_duration as format_duration
from issuelog.errors import ConfigError, TemplateError, UsageError

CONFIG_FILE = "issuelog.toml"
PYPROJECT = "pyproject.toml"
LOG_TEMPLATE = "ISSUES.md.j2"
ISSUE_TEMPLATE = "issue.md.j2"


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


def _key(default: Any, doc: str, note: str = "", **more: Any) -> Any:
    """A configuration key: its default, its README text (`doc`) and its `issuelog.toml` comment.

    `more` may say what the loader and the docs cannot derive from the type: `kind` ("tables"
    for `[[severities]]` and `[[statuses]]`), `switch` (a flag that shapes those lists: written
    after the settings in `issuelog.toml`), `shown` (the README's default, when the TOML value
    does not say it well).
    """
    return field(default=default, metadata={"doc": doc, "note": note, **more})


@dataclass(frozen=True)
class Config:
    """Every setting of a project; the defaults mirror a typical hand-kept log.

    Each field that is a configuration key documents itself in its metadata (see `_key`): the
    loader's type checks and "did you mean" hints, the `issuelog.toml` that `init` writes and the
    README's configuration table (`configuration_table`) are all made from it.
    """

    project: str = _key("Project", "Name shown in the title of `ISSUES.md`.")
    id_prefix: str = _key("ISSUE", "IDs look like `ISSUE-007`.", "IDs look like ISSUE-007")
    id_width: int = _key(3, "Zero padding; numbering goes on past it (`ISSUE-1000`).",
                         "zero padding; numbering goes on past it (ISSUE-1000)")
    issues_dir: str = _key("issues", "One Markdown file per issue (`README.md` there is ignored).",
                           "one Markdown file per issue")
    output: str = _key("ISSUES.md", "The rendered log.", "the rendered log")
    templates_dir: str = _key(
        ".issuelog/templates", "A template here overrides the built-in one of the same name.",
        "a template here overrides the built-in one of the same name")
    severities: tuple[Severity, ...] = _key(
        DEFAULT_SEVERITIES,
        "Each: `name`, `label`, `emoji`, `description`, `response_time`, `sla` (`4h`, `3 days`, "
        "`1w`), `response_sla` (the Response Time as a duration, the target for acknowledging; "
        "defaults: Immediate `15m`, Same day `24h`, Within 3 days `3 days`, When convenient none), "
        "`before` (see below). They **extend** the defaults: an entry named like a default "
        "replaces it in place, a new one is added after the others (least severe) or before the "
        "one its `before` names.",
        kind="tables", shown="critical 🔴 (Immediate, SLA 4h), high 🟠 (Same day, 24h), medium 🟡 "
        "(Within 3 days, 1w), low 🟢 (When convenient, 2w)")
    severities_replace: bool = _key(
        False, "`true`: only your `[[severities]]`, no defaults.",
        "true: only your [[severities]] below, no defaults", switch=True)
    statuses: tuple[Status, ...] = _key(
        DEFAULT_STATUSES,
        "Each: `name`, `label`, `emoji`, `open` (counts as open), `resolved` (counts as fixed), "
        "`before`. They extend the defaults as severities do.",
        kind="tables", shown="open 🔴, in_progress 🟡, resolved 🟢, wont_fix 🔵, duplicate ⚪")
    statuses_replace: bool = _key(
        False, "`true`: only your `[[statuses]]`, no defaults (a new issue then starts in the "
        "first open one).", "true: only your [[statuses]] below, no defaults", switch=True)
    tracker_vocabulary: bool = _key(
        False, "`true`: the words of an error tracker, for `record`: an `info` 🔵 severity (after "
        "`low`) and an `investigating` 🟣 status (open).",
        "true: an 'info' severity and an 'investigating' status, for `record`", switch=True)
    phases: tuple[str, ...] = _key(
        (), "Ordered phase names. Empty: any phase is accepted, shown in natural order (`Phase 2` "
        "before `Phase 10`).", 'in order, e.g. ["Phase 1", "Phase 2"]; empty: any phase is accepted')
    categories: tuple[str, ...] = _key(
        DEFAULT_CATEGORIES, "Allowed categories (empty list: any).",
        "empty: any category is accepted", shown="`" + ", ".join(DEFAULT_CATEGORIES) + "`")
    required: tuple[str, ...] = _key(DEFAULT_REQUIRED, "Fields every issue must have.",
                                     "fields every issue must have")
    default_status: str = _key("open", "Status of a new issue.", "the status of a new issue",
                               shown='`"open"` (with custom `[[statuses]]`: the first open one)')
    charts: bool = _key(
        True, "Mermaid charts in `ISSUES.md` (see [Charts](#charts)); `false` leaves the section "
        "out.", "Mermaid charts in the rendered log")
    log_rows: int = _key(
        50, "Rows each table of `ISSUES.md` shows at most (open issues per severity, resolved per "
        "phase, won't fix, each reference area); a line under a capped table gives the exact "
        "number left out and the `issuelog list` command that lists them. The HTML export caps "
        "the same tables (its All Issues lists every issue). `0`: every row. See "
        "[The rendered log](#the-rendered-log).",
        "rows each table of the log shows at most; 0: every row")
    render_branches: tuple[str, ...] = _key(
        (), "Branches (glob patterns such as `\"release/*\"`) on which `ISSUES.md` is rendered and "
        "checked. Empty: every branch. Elsewhere `render`, `render --check` (also with `--output` "
        "naming this log) and the hooks skip it, and `issuelog ci` fails a pull request that "
        "changes it (see [Team workflow](#team-workflow)). `issuelog init` inside a git repository writes "
        "`[\"<default branch>\"]`.",
        'where the log is rendered and checked, e.g. ["main"]; empty: everywhere')
    default_branch: str = _key(
        "", "The branch whose IDs never move (`renumber`, `check --against`). Empty: "
        "`origin/HEAD`, else `main` or `master`.",
        "the branch whose IDs never move; empty: origin/HEAD, else main or master")
    id_branch_days: int = _key(
        30, "`new` skips IDs taken on branches with a commit in this many days; the default and "
        "current branches always count. `0`: every branch.",
        "new skips IDs on branches with no commit in this many days; 0: every branch")
    publish_repo: str = _key(
        "", "This repository's name in the PostgreSQL table of `issuelog publish`. Empty: the "
        "`origin` URL without credentials or `.git` (`https://github.com/acme/api`), else the "
        "directory's name.", "this repository's name in PostgreSQL (publish); empty: the origin URL")
    closing_keywords: tuple[str, ...] = _key(
        ("fix", "fixes", "fixed", "close", "closes", "closed", "resolve", "resolves", "resolved"),
        "Words that, before one or more IDs (`ISSUE-007` or `#7`, commas between), in a commit "
        "message on the default branch, resolve those issues (any case, an optional colon: "
        "`Fixes: ISSUE-007`). `[]`: commits close nothing. See [Closing from commits]"
        "(#closing-from-commits).",
        "a commit saying `Fixes: ISSUE-007` on the default branch resolves it")
    # Where the configuration was found: not keys of it.
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


#: The TOML kind of a key, from its field's type (`kind` in its metadata says it otherwise).
_KINDS = {"str": "string", "int": "integer", "bool": "boolean", "tuple[str, ...]": "list"}


def config_keys() -> tuple[Field[Any], ...]:
    """The fields of `Config` that are configuration keys, in order (`root` and `source` are not)."""
    return tuple(item for item in fields(Config) if "doc" in item.metadata)


def key_kind(item: Field[Any]) -> str:
    """A key's TOML kind: string, integer, boolean, list (of strings) or tables."""
    return str(item.metadata.get("kind") or _KINDS[str(item.type)])


def configuration_table() -> str:
    """The README's configuration table (key, default, meaning), from `Config`'s metadata."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for item in config_keys():
        key = f"`[[{item.name}]]`" if key_kind(item) == "tables" else f"`{item.name}`"
        shown = item.metadata.get("shown") or f"`{_toml_value(item.default)}`"
        rows.append(f"| {key} | {shown} | {item.metadata['doc']} |")
    return "\n".join(rows) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    import json  # only `init` writes TOML: every command loads this module

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
    settings = [item for item in config_keys() if item.name != "project"
                and key_kind(item) != "tables" and not item.metadata.get("switch")]
    switches = [item for item in config_keys() if item.metadata.get("switch")]
    for item in [*settings, *switches]:
        note = item.metadata["note"]
        if item.name == "render_branches" and team_branch is not None:
            lines += ["# ISSUES.md is rendered on the default branch only: pull requests carry issue "
                      "files and never", "# conflict in it; CI renders and commits it after each "
                      "merge (README: \"Team workflow\").", "# Delete this line to render and "
                      "commit ISSUES.md on every branch instead.",
                      f"render_branches = [{_toml_value(team_branch)}]"]
            continue
        lines.append(f"# {item.name} = {_toml_value(getattr(defaults, item.name))}"
                     + (f"  # {note}" if note else ""))
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
        data = path.read_bytes()
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_toml_problem(path, data, str(error))) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _toml_problem(path: Path, data: bytes, message: str) -> str:
    """tomllib's message as `path:line: ...`; its "at end of document" names the last line."""
    place = re.search(r" \(at line (\d+), column (\d+)\)$", message)
    if place:
        return f"{path}:{place[1]}: invalid TOML: {message[:place.start()]} (column {place[2]})"
    if message.endswith(" (at end of document)"):
        last = data.rstrip(b"\n").count(b"\n") + 1
        problem = message.removesuffix(" (at end of document)")
        return f"{path}:{last}: invalid TOML: {problem} at the end of the file"
    return f"{path}: invalid TOML: {message}"


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


def config_from_mapping(raw: dict[str, Any], *, root: Path, source: Path | None = None) -> Config:
    """Validate a raw mapping (from TOML) and build a Config; errors name the file and key."""
    where = str(source) if source else "configuration"
    values: dict[str, Any] = {"root": root, "source": source}
    kinds = {item.name: key_kind(item) for item in config_keys()}
    for key, value in raw.items():
        if key not in kinds:
            raise unknown_key(where, key, set(kinds))
        if kinds[key] != "tables":  # [[severities]] and [[statuses]] are merged below
            values[key] = _checked_value(where, key, kinds[key], value)
    values.update(configured_levels(where, raw))
    if "default_status" not in values and raw.get("statuses_replace") is True:
        # With statuses of its own only, a new issue starts in the first one that counts as open.
        first_open = next((s.name for s in values["statuses"] if s.open), values["statuses"][0].name)
        values["default_status"] = first_open
    config = Config(**values)
    _check_consistency(where, config)
    return config


def _checked_value(where: str, key: str, kind: str, value: Any) -> Any:
    """A key's value once its TOML kind is checked (a list becomes a tuple)."""
    if kind in ("string", "integer"):
        expected = str if kind == "string" else int
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be a {expected.__name__}, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false, got {value!r}")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


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
    _check_paths(where, config)
    _check_lists(where, config)


def _check_paths(where: str, config: Config) -> None:
    """Every configured path is relative and names no parent directory."""
    for key in ("issues_dir", "output", "templates_dir"):
        value = PurePosixPath(getattr(config, key).replace("\\", "/"))
        if value.is_absolute() or ".." in value.parts or not value.parts:
            raise ConfigError(f"{where}: '{key}' must be a relative path inside the project, "
                              f"got {getattr(config, key)!r}")


def _check_lists(where: str, config: Config) -> None:
    """Statuses that make sense, known required fields, no empty branch, no name twice, and no
    configured path that a symbolic link leads out of the project (checked last, as before)."""
    for status in config.statuses:
        if status.open and status.resolved:
            raise ConfigError(f"{where}: status '{status.name}' cannot be both open and resolved")
    for key in config.required:
        hint = closest_name(key, ISSUE_FIELDS, cutoff=0.75) if key not in ISSUE_FIELDS else None
        if hint:
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
