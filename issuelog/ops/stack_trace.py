"""Stack traces for `issuelog record`: read with bounded memory, stored bounded.

A stored trace keeps at most `MAX_STORED_TRACE_BYTES`: its first and last halves, cut at line
ends, with a line saying what was left out.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from issuelog.errors import UsageError

#: A stored stack trace keeps at most this much: its first and last halves, cut at line ends.
MAX_STORED_TRACE_BYTES = 64 * 1024
#: `--stack-trace` reads at most this much from standard input or a pipe (`/dev/zero` never ends);
#: from a regular file it reads only the head and the tail, whatever the file's size.
MAX_TRACE_INPUT_BYTES = 64 * 1024 * 1024
_TRACE_HALF = MAX_STORED_TRACE_BYTES // 2
_CHUNK = 64 * 1024


def bound_stack_trace(text: str) -> str:
    """The trace as stored: whole when small, else its head and tail with a line saying what was cut."""
    data = text.encode("utf-8")
    if len(data) <= MAX_STORED_TRACE_BYTES:
        return text
    return _head_and_tail(data[:_TRACE_HALF], data[-_TRACE_HALF:], len(data), "stack_trace")


def _head_and_tail(head: bytes, tail: bytes, total: int, shown: str) -> str:
    """Join the first and last bytes of a long trace at line ends, saying how much was left out."""
    head = head[:head.rindex(b"\n") + 1] if b"\n" in head else _whole_characters_head(head)
    if b"\n" in tail:
        tail = tail[tail.index(b"\n") + 1:]
    else:
        while tail and tail[0] & 0xC0 == 0x80:  # the rest of a character cut in two
            tail = tail[1:]
    cut = total - len(head) - len(tail)
    note = (f"[... {cut:,} bytes cut by issuelog record: a stored trace keeps its first and last "
            f"{_TRACE_HALF // 1024} KiB ...]")
    return f"{_decode_trace(head, shown).rstrip(chr(10))}\n{note}\n{_decode_trace(tail, shown)}"


def _whole_characters_head(data: bytes) -> bytes:
    """`data` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0xC0:  # the lead byte of the last character
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data[:-back] if back < length else data
        if byte & 0x80 == 0:
            return data
    return data


def read_stack_trace(source: str, stdin: BinaryIO | None = None) -> str:
    """`--stack-trace FILE` (or `-`: standard input), bounded as `bound_stack_trace` stores it."""
    try:
        if source == "-":
            return _read_bounded(stdin, "standard input") if stdin is not None else ""
        with open(source, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_STORED_TRACE_BYTES:
                # Only the two ends are kept: read those and nothing in between.
                head = handle.read(_TRACE_HALF)
                handle.seek(-_TRACE_HALF, os.SEEK_END)
                tail = handle.read(_TRACE_HALF)
                return _head_and_tail(head, tail, info.st_size, source)
            return _read_bounded(handle, source)
    except OSError as error:
        raise UsageError(f"{source}: cannot read the stack trace: {error.strerror or error}") from None


def _read_bounded(stream: BinaryIO, shown: str) -> str:
    """A stream read in chunks, keeping only its head and tail; refused past the input limit."""
    head = bytearray()
    tail = bytearray()
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > MAX_TRACE_INPUT_BYTES:
            raise UsageError(f"{shown}: the stack trace is longer than "
                             f"{MAX_TRACE_INPUT_BYTES // (1024 * 1024)} MiB, the most "
                             "`record --stack-trace` reads; nothing was recorded")
        room = max(_TRACE_HALF - len(head), 0)
        head += chunk[:room]
        tail += chunk[room:]
        del tail[:-_TRACE_HALF]
    if total <= MAX_STORED_TRACE_BYTES:
        return _decode_trace(bytes(head + tail), shown)
    return _head_and_tail(bytes(head), bytes(tail), total, shown)


def _decode_trace(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{shown}: cannot read the stack trace: {error}") from None
