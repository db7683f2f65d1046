"""Error fingerprints: the same error seen twice, with different numbers or paths, gets one ID.

A fingerprint hashes the error type, the component and the error message with its variable
parts replaced by placeholders; for a stack trace, each frame's file base name and function
(never line numbers or directories). The rules carry a version: an issue keeps the version its
fingerprint was made with and is always compared with the rules of that version, so changing
the rules never silently splits or merges existing groups.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

CURRENT_VERSION = 1
#: The version assumed for an issue that has a fingerprint but no `fingerprint_version`.
LEGACY_VERSION = 1

# Order matters: the most specific patterns go first, so that a UUID is not read as numbers and
# a timestamp is not read as a path or a time of day.
_V1_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
        r"|\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"
    ), "<timestamp>"),
    # IPv4 with an optional port; IPv6 in full (8 groups) or compressed with `::`.
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"
                r"|(?<![\w:])(?=[0-9a-f:]*[0-9a-f])(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}"
                r"|(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?)"
                r"(?![\w:])", re.I), "<ip>"),
    # 0x addresses, and hashes or IDs: 12 or more hex digits mixing digits and letters.
    (re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b", re.I),
     "<hex>"),
    (re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|(?<!\w)'(?:[^'\\\n]|\\.)*'|`[^`\n]*`"), "<value>"),
    (re.compile(
        # Not right after a placeholder's `>`, so that normalising twice changes nothing.
        r"(?<![\w.>])(?:(?:[A-Za-z]:\\|\\\\|~/|\.{1,2}/|/)[\w.@+-]+(?:[/\\][\w.@+-]+)*"
        r"|[\w.@+-]+(?:[/\\][\w.@+-]+)*[/\\][\w@+-]+\.[A-Za-z]\w*)(?::\d+(?::\d+)?)?"
    ), "<path>"),
    (re.compile(
        r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*"
        r"(?:\s?(?:[KMGTPE]i?B|bytes?|B|ns|us|µs|ms|s|secs?|seconds?|mins?|minutes?|m|h|hrs?|hours?"
        r"|days?|d|%)(?![\w]))?",
        re.I,
    ), "<n>"),
)

# A Python frame: `File "/srv/app/db.py", line 42, in connect`.
_PYTHON_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<function>\S+)')
# A Java frame: `at com.shop.Cart.total(Cart.java:42)`.
_JAVA_FRAME = re.compile(r"^\s*at (?P<function>[\w$.<>]+)\((?P<file>[^():]+)(?::\d+)?\)")
# A JavaScript frame: `at handler (/srv/app/api.js:10:5)` or `at /srv/app/api.js:10:5`.
_JS_FRAME = re.compile(
    r"^\s*at (?:(?P<function>[^\s(]+) \()?(?P<file>[^()\s]+?)(?::\d+){1,2}\)?\s*$"
)
# The exception line that ends a Python traceback: `KeyError: 'user_42'`.
_ERROR_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault))(?::\s*(?P<message>.*))?$"
)


def normalize_message_v1(message: str) -> str:
    """Version 1: variable parts of a message become placeholders; words and punctuation stay."""
    text = " ".join(message.split())
    for pattern, placeholder in _V1_RULES:
        text = pattern.sub(placeholder, text)
    return text


#: The normalisation of every fingerprint version ever released; never change a released one.
NORMALIZERS: dict[int, Callable[[str], str]] = {1: normalize_message_v1}


@dataclass(frozen=True)
class Frame:
    """One stack frame, reduced to what survives a move to another checkout or release."""

    file: str
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.function}"


def _base_name(path: str) -> str:
    return re.split(r"[/\\]", path)[-1]


def parse_stack_trace(text: str) -> list[Frame]:
    """The frames of a Python, Java or JavaScript stack trace, outermost first, as found."""
    frames: list[Frame] = []
    for line in text.splitlines():
        match = _PYTHON_FRAME.match(line) or _JAVA_FRAME.match(line) or _JS_FRAME.match(line)
        if match:
            function = match.group("function") or "<anonymous>"
            frames.append(Frame(_base_name(match.group("file")), function))
    return frames


def split_error_line(text: str) -> tuple[str, str]:
    """`KeyError: 'x'` -> (`KeyError`, `'x'`); text without a leading error type -> ("", text)."""
    first = text.strip()
    match = _ERROR_LINE.match(first.splitlines()[0]) if first else None
    if not match:
        return "", text.strip()
    rest = first[match.end("type"):].lstrip(":").strip()
    return match.group("type"), rest


def last_error_line(stack_trace: str) -> str:
    """The exception line of a Python traceback (its last line naming an error type), or ""."""
    for line in reversed(stack_trace.strip().splitlines()):
        if _ERROR_LINE.match(line.strip()):
            return line.strip()
    return ""


@dataclass(frozen=True)
class ErrorSignature:
    """What identifies an error: its type, component, message and stack frames."""

    error_type: str
    component: str
    message: str
    frames: tuple[Frame, ...] = ()

    @classmethod
    def from_parts(cls, message: str, error_type: str = "", component: str = "",
                   stack_trace: str = "") -> ErrorSignature:
        """Fill in the type and message from `Type: message` or the traceback when not given."""
        if not message and stack_trace:
            message = last_error_line(stack_trace)
        derived_type, rest = split_error_line(message)
        if derived_type and (not error_type or error_type == derived_type):
            error_type, message = derived_type, rest
        return cls(error_type.strip(), component.strip(), message.strip(),
                   tuple(parse_stack_trace(stack_trace)))

    def fingerprint(self, version: int = CURRENT_VERSION) -> str:
        """A 16-hex-digit digest of the signature under the rules of `version`."""
        normalize = NORMALIZERS.get(version)
        if normalize is None:
            raise ValueError(f"unknown fingerprint version {version}")
        parts = [f"v{version}", self.error_type, self.component, normalize(self.message),
                 *(str(frame) for frame in self.frames)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def fingerprint_fields(signature: ErrorSignature) -> dict[str, object]:
    """The frontmatter by which `record` finds the issue of an error: its fingerprint under the
    current rules, and their version."""
    return {"fingerprint": signature.fingerprint(CURRENT_VERSION),
            "fingerprint_version": CURRENT_VERSION}


def error_type_of(message: str, given: str | None = None) -> str | None:
    """An error's type: the one given, else read from a `Type: message` error, as `record` reads it."""
    return given or split_error_line(message)[0] or None
