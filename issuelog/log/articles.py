"""The issues' articles on the HTML page, each read and rendered only when the page reaches it.

An article (`templates/export-issue.html.j2`, with the body's Markdown as HTML) depends on its
issue file, the configuration, the templates, issuelog's code, and the page's other issues only
through the links it asks about. So exports keep each article in `.issuelog/cache/` under its
file's stamp (as the parse cache has it), with the answers to those questions: an
entry is used only while all of them hold, and the cache is safe to delete. Rendering Markdown is
most of the work of a page; a second export of ten thousand issues renders none.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from issuelog.core.atomic_write import atomic_file
from issuelog.core.cache_files import (
    FileStamp,
    code_fingerprint,
    file_stamp,
    is_trusted,
    library_stamp,
    state_dir_or_none,
    templates_digest,
)
from issuelog.core.config import Config
from issuelog.core.model import Issue, parse_issue
from issuelog.core.parsing import config_digest
from issuelog.core.store import decode_text, read_stamped
from issuelog.log.html_values import markdown_html, trusted_html
from issuelog.log.render import render_fragment

if TYPE_CHECKING:
    import jinja2

ARTICLE_CACHE = "export-articles-v1.bin"
_MAGIC = b"issuelog export articles\n"
_INDEX_END = struct.Struct(">Q")
#: What an article asked of the page: (which mapping, key, the answer it got).
Asked = tuple[tuple[str, str, Any], ...]
#: A cache entry: the file's stamp, what it asked, offset and length of its text.
Entry = tuple[FileStamp, Asked, int, int]


class _Noted(Mapping[str, str]):
    """A read-only mapping that notes each key asked about, and the answer, for the cache."""

    def __init__(self, name: str, data: Mapping[str, str], asked: list[tuple[str, str, Any]]) -> None:
        self._name, self._data, self._asked = name, data, asked

    def __contains__(self, key: object) -> bool:
        found = self._data.get(key) if isinstance(key, str) else None
        self._asked.append((self._name, str(key), found))
        return found is not None

    def __getitem__(self, key: str) -> str:
        self._asked.append((self._name, key, self._data.get(key)))
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        raise TypeError("an article may ask about one link at a time, not list them all")

    def __len__(self) -> int:
        return len(self._data)


class _RestrictedUnpickler(pickle.Unpickler):
    """The index holds only tuples, strings, numbers and None: it may load no class at all."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the article cache")


def cache_key(config: Config) -> str:
    """A digest of everything an article depends on besides its file and its links."""
    parts: list[object] = [code_fingerprint(), config_digest(config)]
    parts += [library_stamp(library) for library in ("markdown_it", "markupsafe")]
    parts.append(templates_digest(config))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _read_index(handle: Any, key: str) -> dict[str, Entry]:
    """The entries of an open cache file written for `key`; empty if it is foreign or damaged."""
    header = _MAGIC + key.encode() + b"\n"
    try:
        if handle.read(len(header)) != header:
            return {}
        end = handle.seek(0, os.SEEK_END) - _INDEX_END.size
        handle.seek(end)
        (start,) = _INDEX_END.unpack(handle.read(_INDEX_END.size))
        handle.seek(start)
        index = _RestrictedUnpickler(io.BytesIO(handle.read(end - start))).load()
    except (OSError, ValueError, EOFError, struct.error, pickle.UnpicklingError):
        return {}
    return index if isinstance(index, dict) else {}


class Articles:
    """Each issue's article as the page reaches it: from the cache while its entry holds.

    `stamps` are the issue files' stamps by name when the issues were loaded, without
    their bodies: a body is read from its file when its article is rendered. Without `stamps`
    the issues carry their bodies, and nothing is cached.
    """

    def __init__(self, config: Config, template: jinja2.Template, anchors: Mapping[str, str],
                 known_ids: Mapping[str, str], stamps: Mapping[str, FileStamp] | None) -> None:
        self.config = config
        self.template = template
        self.links = {"anchors": anchors, "ids": known_ids}
        self.stamps = stamps
        self.started = time.time_ns()  # files changed after this moment are not cached

    def render(self, issue: Issue, body: str) -> tuple[str, Asked]:
        """An issue's article, and what it asked about the page's links."""
        asked: list[tuple[str, str, Any]] = []
        anchors = _Noted("anchors", self.links["anchors"], asked)
        context = {"issue": issue, "config": self.config,
                   "known_ids": _Noted("ids", self.links["ids"], asked),
                   "body": markdown_html(body, anchors)}
        return render_fragment(self.template, context), tuple(asked)

    def holds(self, entry: Entry | None, stamp: FileStamp | None) -> bool:
        """Whether a cache entry is for this version of the file and these links."""
        return entry is not None and stamp == entry[0] and all(
            self.links.get(name, {}).get(key) == answer for name, key, answer in entry[1])

    def __call__(self, issues: list[Issue]) -> Iterator[str]:
        """The articles, in the order of `issues`, as safe HTML."""
        if self.stamps is None:
            for issue in issues:
                yield trusted_html(self.render(issue, issue.body)[0])
            return
        cache_dir = state_dir_or_none(self.config)
        key = cache_key(self.config)
        path = cache_dir / ARTICLE_CACHE if cache_dir is not None else None
        try:
            old = open(path, "rb") if path is not None else None  # noqa: SIM115 - read while writing
        except OSError:
            old = None
        try:
            index = _read_index(old, key) if old is not None else {}
            stale = any(not self.holds(index.get(issue.path.name), self.stamps.get(issue.path.name))
                        for issue in issues)
            if path is None or not stale:
                yield from self._from_cache(issues, index, old)
            else:
                yield from self._renewing(issues, index, old, path, key)
        finally:
            if old is not None:
                old.close()

    def _from_cache(self, issues: list[Issue], index: dict[str, Entry], old: Any) -> Iterator[str]:
        for issue in issues:
            text = self._cached(index.get(issue.path.name), old)
            yield trusted_html(text if text is not None else self._fresh(issue)[0])

    def _cached(self, entry: Entry | None, old: Any) -> str | None:
        if entry is None or old is None:
            return None
        try:
            data = os.pread(old.fileno(), entry[3], entry[2])
            return data.decode("utf-8") if len(data) == entry[3] else None
        except (OSError, ValueError):  # a damaged file: render the article again
            return None

    def _renewing(self, issues: list[Issue], index: dict[str, Entry], old: Any, path: Path,
                  key: str) -> Iterator[str]:
        """The articles, written with their entries into a new cache file as they go."""
        entries: dict[str, Entry] = {}
        with atomic_file(path, durable=False) as new:
            new.write(_MAGIC + key.encode() + b"\n")
            for issue in issues:
                name = issue.path.name
                stamp = self.stamps.get(name) if self.stamps is not None else None
                entry = index.get(name)
                text = self._cached(entry, old) if entry and self.holds(entry, stamp) else None
                if text is not None and entry is not None:
                    asked, keep = entry[1], True
                else:
                    text, asked, keep = self._fresh(issue)
                yield trusted_html(text)
                if keep and stamp is not None:
                    data = text.encode("utf-8")
                    entries[name] = (stamp, asked, new.tell(), len(data))
                    new.write(data)
            start = new.tell()
            pickle.dump(entries, new, protocol=pickle.HIGHEST_PROTOCOL)
            new.write(_INDEX_END.pack(start))

    def _fresh(self, issue: Issue) -> tuple[str, Asked, bool]:
        """The article rendered from the file's body now; whether it may be cached."""
        body, stamp = read_body(issue, self.config.root)
        expected = self.stamps.get(issue.path.name) if self.stamps is not None else None
        keep = stamp is not None and stamp == expected and is_trusted(stamp, self.started)
        issue.body = body  # for the template, while it renders this article
        try:
            text, asked = self.render(issue, body)
        finally:
            issue.body = ""
        return text, asked, keep


def read_body(issue: Issue, root: Path) -> tuple[str, FileStamp | None]:
    """An issue's body read from its file now, and the file's stamp (None if it cannot be read)."""
    data, _, info = read_stamped(issue.path, issue.path.name, root)
    text = decode_text(data, issue.path.name)[0] if data is not None else None
    parsed = parse_issue(issue.path, text, issue.path.name)[0] if text is not None else None
    if parsed is None or info is None:
        return "", None
    return parsed.body, file_stamp(info)


def fill_bodies(issues: list[Issue], root: Path) -> None:
    """Read every issue's body into it (for a page template of the project's own)."""
    for issue in issues:
        issue.body = read_body(issue, root)[0]
