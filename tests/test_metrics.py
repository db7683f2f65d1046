"""`issuelog metrics`: the exposition parsed back with prometheus-client, files, and the exporter."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.ops.metrics import metrics_text, serve_metrics
from tests.conftest import Invoke, issue_text, make_tree
from tests.test_analyze import FIXTURE


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_parse_back_with_prometheus_client(
        project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(project, FIXTURE)
    monkeypatch.setattr("issuelog.ops.metrics.clock_today", lambda: date(2026, 2, 1))
    text = cli("metrics").stdout
    families = {family.name: family.type for family in text_string_to_metric_families(text)}
    assert families == {
        "issuelog_active_issues": "gauge",
        "issuelog_issues_created": "counter",
        "issuelog_issues_resolved": "counter",
        "issuelog_issue_resolution_seconds": "histogram",
        "issuelog_issue_occurrences": "counter",
        "issuelog_file_problems": "gauge",
        "issuelog_oldest_open_issue_age_days": "gauge",
        "issuelog_incident_interval_seconds": "histogram",
    }
    found = samples(text)
    # Ages count to the day the metrics are read (ISSUES.md shows none).
    oldest = {labels: value for (name, labels), value in found.items()
              if name == "issuelog_oldest_open_issue_age_days"}
    assert oldest == {(("severity", "critical"),): 17, (("severity", "high"),): 18,
                      (("severity", "medium"),): 16}
    active = {labels: value for (name, labels), value in found.items() if name == "issuelog_active_issues"}
    assert active == {
        (("category", "reliability"), ("severity", "high")): 1,
        (("category", "validation"), ("severity", "critical")): 1,
        (("category", "none"), ("severity", "medium")): 1,
    }
    created = {labels: value for (name, labels), value in found.items()
               if name == "issuelog_issues_created_total"}
    assert sum(created.values()) == 6
    assert created[(("category", "reliability"), ("component", "db"), ("severity", "critical"))] == 1
    resolved = {labels: value for (name, labels), value in found.items()
                if name == "issuelog_issues_resolved_total"}
    assert resolved == {(("category", "reliability"), ("severity", "critical")): 1,
                        (("category", "performance"), ("severity", "high")): 1}
    occurrences = {labels: value for (name, labels), value in found.items()
                   if name == "issuelog_issue_occurrences_total"}
    assert occurrences == {
        (("component", "db"), ("error_type", "TimeoutError")): 17,
        (("component", "db"), ("error_type", "none")): 1,
        (("component", "api"), ("error_type", "KeyError")): 1,
        (("component", "ui"), ("error_type", "none")): 1,
    }
    # ISSUE-004 took 0 s (same day), ISSUE-001 two days: 172800 s.
    buckets = {float(dict(labels)["le"]): value for (name, labels), value in found.items()
               if name == "issuelog_issue_resolution_seconds_bucket"}
    assert buckets == {3600: 1, 14400: 1, 86400: 1, 259200: 2, 604800: 2, 1209600: 2, 2592000: 2,
                       float("inf"): 2}
    assert found[("issuelog_issue_resolution_seconds_count", ())] == 2
    assert found[("issuelog_issue_resolution_seconds_sum", ())] == 172800
    assert found[("issuelog_file_problems", ())] == 0


def test_metrics_output_is_written_atomically(project: Path, cli: Invoke) -> None:
    make_tree(project, FIXTURE)
    target = project / "textfile" / "issuelog.prom"
    target.parent.mkdir()
    target.write_text("old\n")
    result = cli("metrics", "--output", str(target))
    assert result.stdout == ""
    assert target.read_text() == cli("metrics").stdout
    assert sorted(p.name for p in target.parent.iterdir()) == ["issuelog.prom"]


def test_metrics_refuse_invalid_files_and_keep_the_old_output(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-bad.md": issue_text(status="closed")})
    target = project / "issuelog.prom"
    target.write_text("previous scrape\n")
    result = cli("metrics", "--output", str(target), code=1)
    assert "issues/ISSUE-001-bad.md:4: unknown status 'closed'" in result.stderr
    assert "no metrics written" in result.stderr
    assert target.read_text() == "previous scrape\n"


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode("utf-8")


def test_exporter_reads_the_issues_at_each_scrape(project: Path) -> None:
    config = load_config(project)
    server, thread = serve_metrics(config, "127.0.0.1", 0)
    try:
        port = server.server_port
        assert samples(scrape(port)) == samples(metrics_text([], config))
        make_tree(project, {"issues/ISSUE-001-a.md": issue_text(extra="component: api\n")})
        after = samples(scrape(port))
        assert after == samples(metrics_text(load_issues(config).issues, config))
        assert after[("issuelog_active_issues", (("category", "none"), ("severity", "high")))] == 1
        make_tree(project, {"issues/ISSUE-002-b.md": issue_text("ISSUE-002", severity="nope")})
        broken = samples(scrape(port))
        assert broken[("issuelog_file_problems", ())] == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_cli_serve_runs_a_real_exporter(project: Path) -> None:
    make_tree(project, FIXTURE)
    process = subprocess.Popen(
        [sys.executable, "-m", "issuelog", "metrics", "--serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=project, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("serving metrics on http://127.0.0.1:")
        port = int(line.split(":")[2].split("/")[0])
        text = scrape(port)
        assert samples(text)[("issuelog_issues_created_total",
                              (("category", "none"), ("component", "ui"), ("severity", "low")))] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_serve_reports_a_busy_port(project: Path, cli: Invoke) -> None:
    server, thread = serve_metrics(load_config(project), "127.0.0.1", 0)
    try:
        result = cli("metrics", "--serve", "--port", str(server.server_port), code=2)
        assert result.stderr.startswith(f"issuelog: cannot listen on 127.0.0.1:{server.server_port}:")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_cli_refuses_impossible_ports(project: Path, cli: Invoke, port: str) -> None:
    cli("metrics", "--serve", "--port", port, code=2)


def test_cli_serve_does_not_write_files(project: Path, cli: Invoke) -> None:
    result = cli("metrics", "--serve", "--output", "x.prom", code=2)
    assert result.stderr == "issuelog: --output cannot be combined with --serve\n"
    assert not (project / "x.prom").exists()
