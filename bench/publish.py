"""`issuelog publish` and `analyze --database` against a throwaway PostgreSQL cluster.

    python bench/publish.py [--issues 10000] [--repos 20] [--per-repo 5000] [--workdir DIR]

Starts a cluster like the tests do (tests/pg_cluster.py; fsync on here), generates a project with
bench/generate.py, then measures whole processes (wall seconds, peak resident memory of the
process and its workers): the first publish (parse cache cold, as in a fresh CI checkout), the
same publish again with nothing changed, and again after one title changed (cache cold, and
warm as on a developer's machine). Then it publishes `--repos` repositories of `--per-repo`
issues each (the project's issues under other names, with fingerprints shared across them) and
measures `analyze --database` and `list --database --format json` over all of them.
Prints Markdown table rows for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from generate import generate  # noqa: E402
from pg_cluster import remove_cluster, start_cluster  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MiB (wait4's ru_maxrss: the
    process or a worker it waited for) and stdout of one command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {err.read().decode()}")
        return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024,
                out.read().decode())


class _Rows(list[tuple[str, tuple[float, float, int, str], str]]):
    """Table rows, each printed as soon as it is measured."""

    def append(self, row: tuple[str, tuple[float, float, int, str], str]) -> None:
        super().append(row)
        label, (seconds, cpu, peak, _), shown = row
        print(f"| {label} | {seconds:.2f} | {cpu:.2f} | {peak} | {shown} |", flush=True)


def main() -> None:
    """Run the scenarios and print their rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--per-repo", type=int, default=5_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/issuelog-bench-publish"))
    args = parser.parse_args()

    import psycopg

    from issuelog.core.cache import load_issues
    from issuelog.core.config import load_project
    from issuelog.integrations.publish import publish_rows
    from issuelog.integrations.rows import Row, issue_row

    project = args.workdir / "project"
    generate(project, args.issues)
    cluster = start_cluster(fsync=True)
    rows = _Rows()
    print("| scenario | wall s | CPU s | peak MiB | output |")
    print("|---|---|---|---|---|", flush=True)
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        env = {**os.environ, "ISSUELOG_DATABASE_URL": cluster.dsn("bench")}
        publish = [sys.executable, "-m", "issuelog", "publish", "--repo", "bench/project"]
        cache = project / ".issuelog" / "cache"

        shutil.rmtree(cache, ignore_errors=True)
        result = timed(publish, project, env)
        rows.append((f"publish {args.issues:,} issues, first time (parse cache cold)", result,
                     result[3].strip()))
        time.sleep(2.1)  # past the parse cache's racy window
        result = timed(publish, project, env)
        rows.append(("publish again, nothing changed (cache warm)", result, result[3].strip()))
        for cold in (False, True):
            victim = next((project / "issues").glob("ISSUE-00005-*.md"), None) or \
                sorted((project / "issues").glob("*.md"))[4]
            text = victim.read_text(encoding="utf-8")
            victim.write_text(re.sub(r"^title: .*$", f"title: Changed {time.time()}", text,
                                     count=1, flags=re.M), encoding="utf-8")
            time.sleep(2.1)
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            result = timed(publish, project, env)
            rows.append((f"publish again after one change (cache {'cold' if cold else 'warm'})",
                         result, result[3].strip()))

        # Many repositories: the project's issues under other names, every third with one of
        # 400 fingerprints, so that errors recur across repositories.
        config = load_project(project)
        issues = load_issues(config).issues[: args.per_repo]
        for number, issue in enumerate(issues):
            if number % 3 == 0:
                issue.fingerprint, issue.error_type = f"fp{number % 400:04d}", "TimeoutError"
        dsn = cluster.dsn("bench")
        base = [issue_row(issue, config, "", issue.id) for issue in issues]
        for repo in range(args.repos):
            name = f"bench/service-{repo:02d}"
            built = [Row(row.id, {**row.values, "repo": name}, row.content_hash) for row in base]
            hashes = {row.id: row.content_hash for row in built}
            publish_rows(dsn, name, hashes, lambda _ids, rows=built: rows)
        with psycopg.connect(dsn) as conn:
            total = conn.execute("SELECT count(*) FROM issues").fetchone()
        for label, command in (
                ("analyze --database", ["analyze", "--database", ""]),
                ("list --database --format json", ["list", "--database", "", "--format", "json"])):
            result = timed([sys.executable, "-m", "issuelog", *command], project, env)
            rows.append((f"`{label}`, {total[0] if total else 0:,} rows from {args.repos + 1} "
                         "repositories", result, f"{len(result[3].splitlines())} lines"))
    finally:
        remove_cluster(cluster)


if __name__ == "__main__":
    main()
