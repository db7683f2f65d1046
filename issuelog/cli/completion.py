"""Tab completion answered from a small cache, without loading the command line's modules.

A key press starts a new `issuelog` process; importing typer and the core takes longer than a
person waits for Tab. So `issuelog.entry` answers from `.issuelog/cache/completion-v1.json`:
the commands, their options and what each value is (taken from the typer app by `cli/app.py` when
the code changes), and the components, assignees, reporters and tags in use (refreshed in the
background when the issues directory changes). Issue IDs come from the file names, always fresh.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, cast

from issuelog.core.config import ISSUE_FIELDS, Config

#: The variable the shell scripts set; its value names the shell (complete_bash, ...).
COMPLETE_VAR = "_ISSUELOG_COMPLETE"
#: The value of COMPLETE_VAR that asks a background process to rebuild the cache.
REFRESH = "refresh"
CACHE_NAME = "completion-v1.json"
#: Values of `set KEY=...` that come from the issues in use rather than from the configuration.
USED_VALUE_FIELDS = ("component", "assignee", "reporter", "tags", "phase")
_CONFIGURED = ("severity", "status", "phase", "category")

#: What a value completes to: a kind the cache answers (`id`, `severity`, `tags`, `flag`, `text`,
#: ...) or the list of its choices.
Kind = str | list[str]


class CommandSpec(TypedDict, total=False):
    """One command in the cache: its options and arguments with the kind of their values."""

    options: dict[str, Kind]
    arguments: list[Kind]
    variadic: bool  # the last argument repeats
    hidden: bool


class Cache(TypedDict, total=False):
    """The cache file: the stamps it was made for, the commands, and the values in use."""

    code: str
    issues: int
    commands: dict[str, CommandSpec]
    values: dict[str, list[str]]

#: Bash: the words as the user typed them (COMP_LINE), and the word bash will replace
#: (COMP_WORDS splits at `=`), so that `set 7 sev<Tab>` gives `severity=` with no space after it.
BASH_SCRIPT = """
%(complete_func)s() {
    local IFS=$'\\n'
    COMPREPLY=( $( env COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" \\
                   COMP_CUR="${COMP_WORDS[COMP_CWORD]}" \\
                   COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \\
                   %(autocomplete_var)s=complete_bash $1 ) )
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


def cache_path(config: Config) -> Path:
    """Where the completion cache lives."""
    return config.root / ".issuelog" / "cache" / CACHE_NAME


def code_stamp() -> str:
    """Changes whenever the command line's code changes: the table of commands is then rebuilt."""
    from issuelog import __version__

    stamps = sorted((path.name, path.stat().st_mtime_ns, path.stat().st_size)
                    for path in Path(__file__).resolve().parent.glob("*.py"))
    return f"{__version__}:{stamps}"


def issues_stamp(config: Config) -> int:
    """The issues directory's mtime: every issuelog write (a rename into it) changes it."""
    try:
        return config.issues_path.stat().st_mtime_ns
    except OSError:
        return -1


def read_cache(config: Config) -> Cache | None:
    """The cache, or None when it is missing, unreadable or made by other code."""
    try:
        data = json.loads(cache_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("code") != code_stamp():
        return None
    return cast(Cache, data)  # written by write_cache for this very code (the stamp says so)


def used_values(config: Config) -> dict[str, list[str]]:
    """The components, assignees, reporters, tags and phases the issues use, sorted."""
    from issuelog.core.cache import load_issues

    found: dict[str, set[str]] = {key: set() for key in USED_VALUE_FIELDS}
    for issue in load_issues(config, bodies=False).issues:
        for key in USED_VALUE_FIELDS:
            value = getattr(issue, key, None)
            for item in value if isinstance(value, list) else [value]:
                if item:
                    found[key].add(str(item))
    return {key: sorted(values) for key, values in found.items()}


def write_cache(config: Config, table: Mapping[str, CommandSpec]) -> Cache:
    """Build the cache from the command table and the issues, write it, and return it."""
    from issuelog.core.atomic_write import write_atomic

    stamp = issues_stamp(config)  # before reading: a change meanwhile makes it stale, not lost
    data: Cache = {"code": code_stamp(), "issues": stamp, "commands": dict(table),
                   "values": used_values(config)}
    try:
        cache_path(config).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache_path(config), json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only checkout completes, only slower
    return data


def issue_ids(config: Config, incomplete: str) -> list[str]:
    """IDs of the issue files whose ID or number starts with `incomplete` (names only, no parsing).

    `ISSUE-01` and `issue-01` find ISSUE-010 to ISSUE-019; the number `1` (or `01`) finds every
    ID whose number starts with 1 (ISSUE-001, ISSUE-010..019, ISSUE-100..199, ...).
    """
    head = f"{config.id_prefix}-"
    typed = incomplete.lower()
    if typed.startswith(head.lower()):
        digits, short = typed[len(head):], ""  # the ID as written: its own prefix only
    elif typed.isdigit() or not typed:
        digits, short = typed, typed.lstrip("0")  # a number: 7, 07 and 007 are ISSUE-007
    else:
        return []
    try:
        names = os.listdir(config.issues_path)
    except OSError:
        return []
    found = set()
    # A plain loop of string methods: a regular expression per name costs more, at 10,000 names.
    for name in names:
        if not name.startswith(head) or not name.endswith(".md"):
            continue
        number = name[len(head):-3].split("-", 1)[0]
        if number.isdigit() and (number.startswith(digits) or (
                short and number.lstrip("0").startswith(short))):
            found.add(head + number)
    return sorted(found, key=lambda issue_id: (len(issue_id), issue_id))


def values_of(kind: Kind, incomplete: str, config: Config, cache: Cache) -> list[str]:
    """The completions of one value of a kind (`id`, `severity`, a list of choices, ...)."""
    if isinstance(kind, list):
        return [choice for choice in kind if choice.startswith(incomplete)]
    if kind == "id":
        return issue_ids(config, incomplete)
    if kind == "assignment":
        return _assignments(incomplete, config, cache)
    used = cache.get("values", {})
    if kind in _CONFIGURED and config.allowed_values.get(kind):
        names = list(config.allowed_values[kind])
    elif kind in ("assignee", "reporter"):
        names = sorted(set(used.get("assignee", [])) | set(used.get("reporter", [])))
    else:
        names = list(used.get(kind, []))
    return [name for name in names if name.lower().startswith(incomplete.lower())]


def _assignments(incomplete: str, config: Config, cache: Cache) -> list[str]:
    """`set`'s `KEY=VALUE`: field names with `=`, then the values the key may take."""
    key, sign, value = incomplete.partition("=")
    if not sign:
        return [f"{name}=" for name in ISSUE_FIELDS if name.startswith(key) and name != "id"]
    kinds: dict[str, Kind] = {"tags": "tags", "related": "id", "reference_only": ["true", "false"]}
    kind = kinds.get(key, key if key in (*_CONFIGURED, *USED_VALUE_FIELDS) else None)
    if kind is None:
        return []
    return [f"{key}={choice}" for choice in values_of(kind, value, config, cache)]


def candidates(args: list[str], incomplete: str, config: Config, cache: Cache) -> list[str]:
    """Everything that completes `incomplete` after the words `args` (the program name left out)."""
    commands = cache.get("commands", {})
    command = None
    position = 0
    expecting: Kind | None = None
    spec: CommandSpec = commands.get("", {})
    for word in args:
        if expecting is not None:
            expecting = None
            continue
        if word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            kind = spec.get("options", {}).get(name)
            if kind is not None and kind != "flag" and "=" not in word:
                expecting = kind
            continue
        if command is None:
            command = word
            spec = commands.get(word, {})
            continue
        position += 1
    if expecting is not None:
        return values_of(expecting, incomplete, config, cache)
    if incomplete.startswith("-"):
        return sorted(name for name in spec.get("options", {}) if name.startswith(incomplete)
                      and name.startswith("--"))
    if command is None:
        return sorted(name for name, item in commands.items()
                      if name and not item.get("hidden") and name.startswith(incomplete))
    arguments = spec.get("arguments", [])
    if not arguments:
        return []
    kind = arguments[min(position, len(arguments) - 1)] if spec.get("variadic") or position < len(
        arguments) else None
    return values_of(kind, incomplete, config, cache) if kind is not None else []


def _split(line: str) -> list[str]:
    """The words of a partly typed command line (an open quote is closed)."""
    for ending in ("", '"', "'"):
        try:
            return shlex.split(line + ending)
        except ValueError:
            continue
    return line.split()


def request(environ: Mapping[str, str]) -> tuple[str, list[str], str] | None:
    """(shell, words before the cursor's word, the word being completed), or None if unknown."""
    shell = environ.get(COMPLETE_VAR, "").removeprefix("complete_")
    if shell == "bash":
        if "COMP_LINE" not in environ:
            return None  # a script installed by an older issuelog: typer answers it
        line = environ["COMP_LINE"][:int(environ.get("COMP_POINT") or len(environ["COMP_LINE"]))]
    elif shell in ("zsh", "fish"):
        line = environ.get("_TYPER_COMPLETE_ARGS", "")
    else:
        return None
    words = _split(line)
    if line and not line[-1].isspace() and words:
        return shell, words[1:-1], words[-1]
    return shell, words[1:], ""


def formatted(shell: str, found: list[str], incomplete: str, environ: Mapping[str, str]
              ) -> tuple[str, int]:
    """The answer in the shell's format, and the exit code."""
    if shell == "bash":
        # Bash replaces only its own current word, which ends at a `=` or `:`.
        current = environ.get("COMP_CUR", incomplete)
        cut = len(incomplete) - len(current) if incomplete.endswith(current) else 0
        return "\n".join(item[cut:] for item in found), 0
    if shell == "zsh":
        if not found:
            return "_files", 0
        plain = [shlex.quote(item) for item in found if not item.endswith("=")]
        open_ended = [shlex.quote(item) for item in found if item.endswith("=")]
        lines = ([f"compadd -U -- {' '.join(plain)}"] if plain else []) + (
            [f"compadd -U -S '' -- {' '.join(open_ended)}"] if open_ended else [])
        return "; ".join(lines), 0
    if environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
        return "", 0 if found else 1
    return "\n".join(found), 0


def answer(environ: Mapping[str, str], config: Config) -> tuple[str, int] | None:
    """The shell's answer from the cache, or None when the cache must be built first."""
    asked = request(environ)
    if asked is None:
        return None
    cache = read_cache(config)
    if cache is None:
        return None
    if cache.get("issues") != issues_stamp(config):
        refresh_in_background(environ)
    shell, args, incomplete = asked
    return formatted(shell, candidates(args, incomplete, config, cache), incomplete, environ)


def refresh_in_background(environ: Mapping[str, str]) -> None:
    """Rebuild the cache in a detached process: this key press answers from the old values."""
    import subprocess
    from contextlib import suppress

    with suppress(OSError):  # the next key press tries again
        subprocess.Popen([sys.executable, "-m", "issuelog"], env={**environ, COMPLETE_VAR: REFRESH},
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
