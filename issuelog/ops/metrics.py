"""Prometheus metrics of the issues, built with prometheus-client from `metric_counts.metric_counts`."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from issuelog.core.cache import load_issues
from issuelog.core.clock import today as clock_today
from issuelog.core.config import Config
from issuelog.core.model import Issue
from issuelog.log.metric_counts import metric_counts

#: Upper bounds (seconds) of the interval histograms: 5m, 15m, 30m, 1h, 4h, 1d, 3d, 1w.
INTERVAL_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0, 259200.0, 604800.0)

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
    intervals = HistogramMetricFamily(
        "issuelog_incident_interval_seconds",
        "Durations of the incident timeline's intervals (detect, acknowledge, mitigate, resolve).",
        labels=["interval"])
    for name, durations in counts.intervals.items():
        intervals.add_metric(
            [name], [*((_go_float(bound), sum(1 for d in durations if d <= bound))
                       for bound in INTERVAL_BUCKETS), ("+Inf", len(durations))],
            sum_value=sum(durations))
    return [active, created, resolved, resolution, occurrences, invalid, oldest, intervals]


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


#: The exporter's bounds: threads serving scrapes, accepted connections waiting for one (then
#: the system's listen backlog holds more; past both a connection gets 503), and the seconds a
#: client may take to send its request or read the answer.
SCRAPE_THREADS = 16
WAITING_CONNECTIONS = 128
LISTEN_BACKLOG = 128
CLIENT_TIMEOUT_SECONDS = 5.0


class _CachedMetrics:
    """The exposition text, rebuilt only when an issue file (name, size or mtime) changed.

    One thread rebuilds at a time; scrapes meanwhile wait for it and share its text, so that
    a burst of scrapes parses the issues once, not once each.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.stamps: object = None
        self.text = b""
        self.builds = 0

    def current(self) -> bytes:
        """The text for the issue files as they are now."""
        from issuelog.core.cache import scan_issue_files

        with self.lock:
            stamps = scan_issue_files(self.config)
            if stamps != self.stamps:
                result = load_issues(self.config, bodies=False, stamps=stamps)
                text = metrics_text(result.issues, self.config, len(result.problems))
                self.text, self.stamps = text.encode("utf-8"), stamps
                self.builds += 1
            return self.text


class _MetricsHandler(BaseHTTPRequestHandler):
    """GET /metrics (or /): the cached exposition text; anything else 404."""

    server: MetricsServer
    timeout = CLIENT_TIMEOUT_SECONDS  # a client that sends or reads too slowly is dropped

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        """Serve the metrics."""
        if self.path.split("?", 1)[0] not in ("/", "/metrics"):
            self.send_error(404)
            return
        body = self.server.metrics.current()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        """Say nothing per request: the exporter runs unattended."""


class MetricsServer(HTTPServer):
    """An HTTP server with a fixed pool of threads, a bounded queue of accepted connections in
    front of it, a listen backlog, and a timeout for slow clients: however many clients come,
    and however slowly they talk, the exporter holds the same threads and little memory."""

    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], metrics: _CachedMetrics) -> None:
        self.metrics = metrics
        self.waiting: queue.Queue[tuple[Any, Any]] = queue.Queue(maxsize=WAITING_CONNECTIONS)
        super().__init__(address, _MetricsHandler)
        for number in range(SCRAPE_THREADS):
            threading.Thread(target=self._serve_waiting, name=f"issuelog-scrape-{number}",
                             daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Queue the connection for the pool; if the queue stays full, answer 503 and close."""
        try:
            self.waiting.put((request, client_address), timeout=CLIENT_TIMEOUT_SECONDS)
        except queue.Full:
            with contextlib.suppress(OSError):  # the client left already
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Retry-After: 1\r\nConnection: close\r\n\r\n")
            self.shutdown_request(request)

    def _serve_waiting(self) -> None:
        while True:
            request, client_address = self.waiting.get()
            try:
                self.finish_request(request, client_address)
            except Exception:  # one broken connection must not stop the thread
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Drop the connection quietly: a client that vanished is no news for the log."""


def serve_metrics(config: Config, host: str, port: int) -> tuple[MetricsServer, threading.Thread]:
    """Start an exporter on host:port (port 0: any free port), current at each scrape."""
    metrics = _CachedMetrics(config)
    metrics.current()  # parsed before the first scrape, which then takes a moment, not a parse
    server = MetricsServer((host, port), metrics)
    thread = threading.Thread(target=server.serve_forever, name="issuelog-metrics", daemon=True)
    thread.start()
    return server, thread
