"""Prometheus metrics of the issues, built with prometheus-client from `stats.metric_counts`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from issuelog.config import Config
from issuelog.frontmatter_edit import today as clock_today
from issuelog.model import Issue
from issuelog.stats import metric_counts
from issuelog.store import load_issues

#: The label value that stands for an empty field (Prometheus treats "" as "no label").
NONE_LABEL = "none"


def _label(value: str) -> str:
    return value or NONE_LABEL


def _go_float(value: float) -> str:
    return str(floatToGoString(value))  # type: ignore[no-untyped-call]


def issue_metrics(
    issues: list[Issue], config: Config, problems: int = 0, today: date | None = None
) -> list[Metric]:
    """The metric families of these issues, samples in a stable order; ages count to `today`
    (default: the clock's today)."""
    counts = metric_counts(issues, config, today or clock_today())
    active = GaugeMetricFamily("issuelog_active_issues", "Open issues.",
                               labels=["severity", "category"])
    for (severity, category), count in sorted(counts.active.items()):
        active.add_metric([_label(severity), _label(category)], count)
    created = CounterMetricFamily("issuelog_issues_created", "Issues filed, whatever their status.",
                                  labels=["severity", "category", "component"])
    for (severity, category, component), count in sorted(counts.created.items()):
        created.add_metric([_label(severity), _label(category), _label(component)], count)
    resolved = CounterMetricFamily("issuelog_issues_resolved", "Issues with a resolved status.",
                                   labels=["severity", "category"])
    for (severity, category), count in sorted(counts.resolved.items()):
        resolved.add_metric([_label(severity), _label(category)], count)
    # Bucket bounds are labelled exactly as prometheus-client's own Histogram labels them.
    buckets = [(_go_float(bound), count) for bound, count in counts.resolution_buckets]
    resolution = HistogramMetricFamily(
        "issuelog_issue_resolution_seconds", "Time from reported to resolved of resolved issues.",
        buckets=[*buckets, ("+Inf", counts.resolution_count)], sum_value=counts.resolution_sum,
    )
    occurrences = CounterMetricFamily("issuelog_issue_occurrences",
                                      "Recorded occurrences of errors.",
                                      labels=["component", "error_type"])
    for (component, error_type), count in sorted(counts.occurrences.items()):
        occurrences.add_metric([_label(component), _label(error_type)], count)
    invalid = GaugeMetricFamily(
        "issuelog_file_problems",
        "Problems `issuelog check` finds; issues in invalid files may be missing.", value=problems)
    oldest = GaugeMetricFamily("issuelog_oldest_open_issue_age_days",
                               "Days the longest-open issue of each severity has been open.",
                               labels=["severity"])
    for severity, days in sorted(counts.oldest_open.items()):
        oldest.add_metric([_label(severity)], days)
    return [active, created, resolved, resolution, occurrences, invalid, oldest]


class IssuesCollector(Collector):
    """Reads the issue files at each collection, so a running exporter is always current."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        """Load the issues now and yield their metric families."""
        result = load_issues(self.config)
        yield from issue_metrics(result.issues, self.config, len(result.problems))


class _FixedCollector(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def metrics_text(
    issues: list[Issue], config: Config, problems: int = 0, today: date | None = None
) -> str:
    """The Prometheus text exposition of these issues."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FixedCollector(issue_metrics(issues, config, problems, today)))
    return generate_latest(registry).decode("utf-8")


def serve_metrics(config: Config, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Start an exporter on host:port (port 0: any free port) re-reading the issues per scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(IssuesCollector(config))
    return start_http_server(port, addr=host, registry=registry)
