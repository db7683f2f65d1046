"""Write a seeded, realistic issuelog project of N issues for the benchmark.

Usage: python bench/generate.py DIRECTORY N [--seed 7]

Every status, severity, phase, category and component occurs; closed issues have resolved
dates (some with times); about a third are listed in the Common Issues Reference; bodies of
1.5-2.5 KB hold every section. The same seed and N always give the same bytes.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

STATUSES = ("open", "in_progress", "resolved", "resolved", "resolved", "wont_fix", "duplicate")
SEVERITIES = ("critical", "high", "high", "medium", "medium", "medium", "low", "low")
PHASES = tuple(f"Phase {n}" for n in range(1, 13))
CATEGORIES = (
    "security", "performance", "reliability", "data_integrity", "configuration",
    "deployment", "integration", "validation", "monitoring", "other",
)
COMPONENTS = (
    "api", "auth", "billing", "cache", "cli", "database", "frontend", "gateway", "ingest",
    "jobs", "mailer", "metrics", "notifications", "payments", "search", "storage", "sync",
)
PEOPLE = ("Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "")
TAGS = ("docker", "startup", "regression", "flaky", "customer", "security", "ci", "timeout", "data")
AREAS = ("Database Issues", "Authentication", "Deployment", "Performance", "Networking")
VERBS = ("fails", "hangs", "crashes", "leaks memory", "returns 500", "times out", "drops data")
NOUNS = (
    "login form", "export job", "webhook retry", "nightly backup", "search index", "rate limiter",
    "session cookie", "upload handler", "config loader", "migration", "health check",
)
WORDS = (
    "the", "service", "request", "after", "restart", "cache", "connection", "timeout", "retry",
    "worker", "queue", "token", "value", "null", "header", "payload", "deploy", "version", "user",
    "config", "schema", "index", "lock", "thread", "pool", "limit", "memory", "disk", "latency",
)
FIRST_DAY = date(2024, 1, 1)
CONFIG = """\
project = "Benchmark Monorepo"
phases = [{phases}]
"""


def sentence(rng: random.Random, words: int) -> str:
    """A lowercase pseudo-sentence with a capital and a full stop."""
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, size: int) -> str:
    """Sentences until about `size` characters."""
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(sentence(rng, rng.randint(6, 14)))
    return " ".join(parts)


def body(rng: random.Random, target: int) -> str:
    """Every section of an issue file, about `target` characters in all."""
    share = target // 9
    return (
        f"## Description\n\n{paragraph(rng, share)}\n\n"
        f"## Steps to Reproduce\n\n1. {sentence(rng, 6)}\n2. {sentence(rng, 8)}\n3. {sentence(rng, 5)}\n\n"
        f"## Expected Behavior\n\n{paragraph(rng, share // 2)}\n\n"
        f"## Actual Behavior\n\n{paragraph(rng, share)}\n\n"
        f"## Error Message / Stack Trace\n\n```\nTraceback (most recent call last):\n"
        f"  File \"app/{rng.choice(COMPONENTS)}.py\", line {rng.randint(10, 900)}, in handle\n"
        f"{rng.choice(('TimeoutError', 'KeyError', 'ValueError'))}: {sentence(rng, 5)}\n```\n\n"
        f"## Environment\n\n- Python 3.11\n- {rng.choice(('Ubuntu 24.04', 'macOS 15', 'Debian 12'))}\n\n"
        f"## Root Cause\n\n{paragraph(rng, share)}\n\n"
        f"## Resolution\n\n{paragraph(rng, share)}\n\n"
        f"## Prevention\n\n{paragraph(rng, share // 2)}\n"
    )


def issue_file(rng: random.Random, number: int, total: int) -> tuple[str, str]:
    """The file name and text of issue `number`."""
    issue_id = f"ISSUE-{number:03d}"
    title = f"{rng.choice(NOUNS).capitalize()} {rng.choice(VERBS)} {sentence(rng, 3)[:-1].lower()}"
    status = STATUSES[number % len(STATUSES)] if number <= len(STATUSES) else rng.choice(STATUSES)
    severity = rng.choice(SEVERITIES)
    reported = FIRST_DAY + timedelta(days=rng.randint(0, 700))
    lines = [
        "---",
        f"id: {issue_id}",
        f"title: \"{title}\"",
        f"status: {status}",
        f"severity: {severity}",
        f"phase: {PHASES[number % len(PHASES)]}",
        f"category: {CATEGORIES[number % len(CATEGORIES)]}",
        f"component: {COMPONENTS[number % len(COMPONENTS)]}",
        f"reported: {reported.isoformat()}",
    ]
    if status not in ("open", "in_progress"):
        if rng.random() < 0.2:
            start = datetime.combine(reported, time(9, 0))
            end = start + timedelta(minutes=rng.randint(30, 70 * 60))
            lines[-1] = f"reported: {start:%Y-%m-%d %H:%M}"
            lines.append(f"resolved: {end:%Y-%m-%d %H:%M}")
        else:
            lines.append(f"resolved: {(reported + timedelta(days=rng.randint(0, 30))).isoformat()}")
    lines += [
        f"reporter: {rng.choice(PEOPLE[:-1])}",
        f"assignee: {rng.choice(PEOPLE)}",
        f"tags: [{', '.join(sorted(set(rng.sample(TAGS, rng.randint(0, 3)))))}]",
    ]
    if number > 1 and rng.random() < 0.3:
        lines.append(f"related: [ISSUE-{rng.randint(1, number - 1):03d}]")
    lines.append(f"files: [app/{COMPONENTS[number % len(COMPONENTS)]}.py]")
    if rng.random() < 0.3:
        lines.append(
            f"reference: {{area: {rng.choice(AREAS)}, cause: \"{sentence(rng, 4)}\", "
            f"solution: \"{sentence(rng, 5)}\"}}"
        )
    if rng.random() < 0.1:
        lines.append(f"legacy_id: BUG-{number}")
    text = "\n".join(lines) + "\n---\n\n" + body(rng, rng.randint(1500, 2500))
    slug = "-".join(title.lower().split()[:4]).replace(".", "")
    return f"{issue_id}-{slug}.md", text


def generate(directory: Path, count: int, seed: int = 7) -> None:
    """Create (or replace) a project of `count` issues in `directory`."""
    if directory.exists():
        shutil.rmtree(directory)
    issues = directory / "issues"
    issues.mkdir(parents=True)
    phases = ", ".join(f'"{phase}"' for phase in PHASES)
    (directory / "issuelog.toml").write_text(CONFIG.format(phases=phases), encoding="utf-8")
    rng = random.Random(seed)
    for number in range(1, count + 1):
        name, text = issue_file(rng, number, count)
        (issues / name).write_text(text, encoding="utf-8", newline="\n")


def main() -> None:
    """Command line: directory, count and seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    generate(arguments.directory, arguments.count, arguments.seed)


if __name__ == "__main__":
    main()
