"""What reading YAML gives besides plain values, without loading PyYAML: the model reads these,
and commands that find every issue in a cache never import a YAML library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class InvalidDate:
    """A value shaped like a date that is not one, such as 2026-02-30."""

    text: str
    reason: str


class YamlRefusal(NamedTuple):
    """Why a frontmatter block cannot be read: the 1-based line and the message."""

    line: int
    message: str
