"""The `similar` evaluation: 50 known issues, their error events written as variants, and events
that match nothing; top-1, top-3 and false "same issue" matches.

Usage:
  python bench/similar_eval.py              # build the project in a temporary directory, print figures
  python bench/similar_eval.py --write      # regenerate tests/fixtures/similar/events.jsonl

The issues come from tests/fixtures/similar/templates.py; the events (events.jsonl, kept in the
repository) are generated from them with a fixed seed: each issue's message with other numbers,
paths, hosts and quoted values; a Python traceback with other directories and line numbers and
two frames swapped; the paraphrase a person wrote; a reworded message without its error type;
and a log line with a timestamp, a level and a logger in front.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "similar"
EVENTS = FIXTURES / "events.jsonl"
SEED = 17
#: Every fifth issue is a reference-only entry (knowledge, no occurrence): they must count too.
REFERENCE_EVERY = 5
# Words a person or another logger uses instead; applied to the reworded variant.
SYNONYMS = {
    "refused": "rejected", "connection": "conn", "timed out": "timeout", "failed": "did not work",
    "cannot": "can't", "not": "never", "unable": "could not", "exceeded": "over", "error": "problem",
    "denied": "refused", "expired": "is no longer valid", "missing": "absent", "invalid": "bad",
    "no such": "missing", "allowed": "permitted", "database": "db", "request": "call",
}


def templates() -> Any:
    """The templates module of the fixture directory."""
    sys.path.insert(0, str(FIXTURES))
    try:
        import templates as module
    finally:
        sys.path.pop(0)
    return module


def fill(message: str, rng: random.Random) -> str:
    """The message with each slot given a fresh value."""
    words = ["alpha", "orders", "user_id", "tenant", "beta", "gamma", "sku", "invoice", "region"]
    values: dict[str, Callable[[], str]] = {
        "n": lambda: str(rng.randint(2, 99999)),
        "host": lambda: rng.choice([f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                                    f"db-{rng.randint(1, 40)}.internal", f"node{rng.randint(1, 9)}.prod"]),
        "port": lambda: str(rng.randint(1024, 65000)),
        "path": lambda: "/" + "/".join(rng.choice(["srv", "var", "data", "tmp", "home/app", "mnt/x"])
                                       for _ in range(rng.randint(1, 3)))
                        + f"/{rng.choice(words)}_{rng.randint(1, 999)}."
                        + rng.choice(["csv", "yaml", "py", "bin"]),
        "key": lambda: repr(f"{rng.choice(words)}_{rng.randint(1, 9999)}"),
        "id": lambda: "".join(rng.choice("0123456789abcdef") for _ in range(15)) + "a1",
    }
    for name, make in values.items():
        while "{" + name + "}" in message:
            message = message.replace("{" + name + "}", make(), 1)
    return message


def traceback_text(issue: dict[str, Any], message: str, rng: random.Random, swap: bool) -> str:
    """A Python traceback of the issue's frames from another checkout, maybe two frames swapped."""
    frames = list(issue["frames"])
    if swap and len(frames) > 1:
        i = rng.randrange(len(frames) - 1)
        frames[i], frames[i + 1] = frames[i + 1], frames[i]
    base = rng.choice(["/srv/app", "/home/ci/build/src", "C:/work/project", "/opt/venv/lib/site"])
    lines = ["Traceback (most recent call last):"]
    for file, function in frames:
        lines.append(f'  File "{base}/{rng.choice(["core", "lib", "app"])}/{file}", '
                     f"line {rng.randint(1, 900)}, in {function}")
        lines.append("    result = call(*args)")
    lines.append(f"{issue['type']}: {message}".rstrip(": ") if message else issue["type"])
    return "\n".join(lines)


def reworded(text: str, rng: random.Random) -> str:
    """Synonyms swapped in and one filler phrase around: how another logger says the same."""
    lowered = text
    for word, other in SYNONYMS.items():
        if word in lowered and rng.random() < 0.7:
            lowered = lowered.replace(word, other)
    lead = rng.choice(["", "got ", "seeing ", "again: ", "prod: ", "after deploy, "])
    return lead + lowered


def make_events() -> list[dict[str, Any]]:
    """Five variants of each issue, then the unmatched events, in a fixed order."""
    module = templates()
    rng = random.Random(SEED)
    events: list[dict[str, Any]] = []
    for number, issue in enumerate(module.ISSUES):
        kind_type, component = issue["type"], issue["component"]
        message = fill(issue["message"], rng)
        events.append({"expect": number, "kind": "values", "component": component,
                       "error": f"{kind_type}: {message}" if message else kind_type})
        events.append({"expect": number, "kind": "trace", "error": "",
                       "stack_trace": traceback_text(issue, fill(issue["message"], rng), rng, True)})
        events.append({"expect": number, "kind": "paraphrase", "error": issue["para"]})
        short_type = kind_type.rsplit(".", 1)[-1]
        events.append({"expect": number, "kind": "reworded",
                       "error": reworded(f"{short_type} {fill(issue['message'], rng)}", rng)})
        month, day, hour, minute = (rng.randint(1, 9), rng.randint(0, 9), rng.randint(0, 9),
                                    rng.randint(0, 9))
        stamp = f"2026-0{month}-1{day}T0{hour}:1{minute}:00Z"
        logger = rng.choice(["worker-3", "web.1", "app.main", "uvicorn.error", "celery"])
        events.append({"expect": number, "kind": "logline",
                       "error": f"{stamp} ERROR [{logger}] {kind_type}: {fill(issue['message'], rng)}"})
    for text in module.UNMATCHED:
        events.append({"expect": None, "kind": "unmatched", "error": text})
    return events


def build_project(root: Path) -> list[str]:
    """A project holding the 50 issues (every fifth a reference entry); their IDs in order."""
    from issuelog.core.atomic_write import write_atomic
    from issuelog.core.config import load_config
    from issuelog.core.edits import change_status, resolved_status
    from issuelog.core.sections import replace_section
    from issuelog.core.store import find_issue_file, write_lock
    from issuelog.ops.events import ErrorEvent
    from issuelog.ops.record import record_event
    from issuelog.project.scaffold import create_reference

    root.mkdir(parents=True, exist_ok=True)
    (root / "issuelog.toml").write_text('project = "Similar evaluation"\n', encoding="utf-8")
    config = load_config(root)
    rng = random.Random(SEED + 1)
    ids = []
    for number, issue in enumerate(templates().ISSUES):
        message = fill(issue["message"], rng)
        if number % REFERENCE_EVERY == REFERENCE_EVERY - 1:
            issue_id, _ = create_reference(
                config, {"title": issue["para"].capitalize(), "component": issue["component"],
                         "error_type": issue["type"], "error_message": message},
                cause=issue["cause"], solution=issue["fix"])
            ids.append(issue_id)
            continue
        trace = traceback_text(issue, message, rng, False)
        result = record_event(config, ErrorEvent(error="", component=issue["component"],
                                                 stack_trace=trace))
        with write_lock(config):
            path = find_issue_file(config, result.issue_id)
            text = path.read_text(encoding="utf-8")
            write_atomic(path, replace_section(text, "Root Cause", issue["cause"]))
        change_status(config, result.issue_id, resolved_status(config), resolution=issue["fix"])
        ids.append(result.issue_id)
    return ids


def evaluate(root: Path, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1, top-3 and false matches of `similar` over the events, with the failures listed."""
    from issuelog.core.config import load_config
    from issuelog.search.similar import SAME_ISSUE_SCORE, similar_in_project

    ids = build_project(root)
    config = load_config(root)
    top1 = top3 = matched = false_same = wrong_same = called_same = 0
    misses: list[str] = []
    by_kind: dict[str, list[int]] = {}
    for event in events:
        found = similar_in_project(config, event.get("error", ""),
                             stack_trace=event.get("stack_trace", ""),
                             component=event.get("component", ""), limit=3)
        got = [item.issue_id for item in found]
        if event["expect"] is None:
            if found and found[0].same:
                false_same += 1
                misses.append(f"unmatched {event['error']!r} -> {got[0]} {found[0].score:.2f}")
            continue
        matched += 1
        want = ids[event["expect"]]
        first = bool(got) and got[0] == want
        top1 += first
        top3 += want in got
        by_kind.setdefault(event["kind"], [0, 0])[0] += first
        by_kind[event["kind"]][1] += 1
        if got and not first and found[0].same:
            wrong_same += 1
        called_same += first and found[0].same
        if not first:
            shown = event.get("error") or event.get("stack_trace", "").splitlines()[-1]
            misses.append(f"{event['kind']} {shown!r}: want {want}, got "
                          + ", ".join(f"{i.issue_id} {i.score:.2f}" for i in found))
    return {"events": len(events), "matched_events": matched, "unmatched_events": len(events) - matched,
            "top1": top1 / matched, "top3": top3 / matched, "false_same_unmatched": false_same,
            "wrong_same_matched": wrong_same,
            "top1_called_same": called_same / matched, "threshold": SAME_ISSUE_SCORE,
            "top1_by_kind": {kind: f"{a}/{b}" for kind, (a, b) in by_kind.items()}, "misses": misses}


def read_events(path: Path = EVENTS) -> list[dict[str, Any]]:
    """The committed events."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    """Regenerate the events, or evaluate and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        events = make_events()
        EVENTS.write_text("".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events),
                          encoding="utf-8")
        print(f"wrote {len(events)} events to {EVENTS.relative_to(ROOT)}")
        return
    with tempfile.TemporaryDirectory() as directory:
        figures = evaluate(Path(directory) / "project", read_events())
    for miss in figures.pop("misses"):
        print("  miss:", miss)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
