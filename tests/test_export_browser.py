"""The HTML export in a real browser: headless Chromium renders it and requests nothing.

`.ci/run` installs Debian's `chromium` when it is missing. Refresh the README's screenshot
with `ISSUELOG_UPDATE_SCREENSHOT=1 pytest tests/test_export_browser.py` and look at it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from issuelog.core.cache import load_issues
from issuelog.core.config import load_config
from issuelog.log.export import export_html
from tests.conftest import GOLDEN_TREE

DOCS_SCREENSHOT = Path(__file__).parent.parent / "docs" / "export-html.png"
BENCH = Path(__file__).parent.parent / "bench"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1200, 1500)

pytestmark = [pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium is not installed (`apt-get install chromium`; .ci/run installs it)",
), pytest.mark.slow]


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a URL; a dead proxy and resolver keep every request local."""
    assert BROWSER is not None
    command = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *extra, url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for, from Chromium's net log (the browser's own requests left out)."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] != start_job or "url" not in params:
            continue
        if params.get("initiator") == "not an origin":  # update checks and the like, not the page
            continue
        urls.append(params["url"])
    return [url for url in urls if not url.startswith(("file:", "data:", "about:"))]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden fixture's log exported as HTML."""
    root = tmp_path_factory.mktemp("browser") / "golden"
    shutil.copytree(GOLDEN_TREE, root)
    config = load_config(root)
    result = load_issues(config)
    assert result.problems == []
    target = root / "log.html"
    # Ages counted to a fixed day, so that the screenshot in the docs is the same on every run.
    target.write_text(export_html(result.issues, config, today=date(2026, 1, 31)), encoding="utf-8")
    return target


def test_page_renders_title_stats_and_charts_without_requests(page: Path, tmp_path: Path) -> None:
    net_log = tmp_path / "net.json"
    dom = _chromium(page.as_uri(), tmp_path / "profile", f"--log-net-log={net_log}",
                    "--dump-dom").stdout
    assert "<title>OmniStack Backend — Issue Log</title>" in dom
    assert '<table class="stats">' in dom and '<th class="number">13</th>' in dom
    assert dom.count('<svg class="chart"') == 2 and "<path d=" in dom and "<polyline" in dom
    # The script ran (the policy allowed it): the filter box is shown and counts the issues.
    assert '<form id="filter" role="search">' in dom
    assert '<output id="filter-count">13 of 13 shown</output>' in dom
    assert _page_requests(net_log) == []


def test_request_detection_sees_an_external_image(tmp_path: Path) -> None:
    """The net-log check above can fail: a page that loads an image is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><title>x</title><img src="http://192.0.2.1/pixel.png">')
    net_log = tmp_path / "net.json"
    _chromium(leaky.as_uri(), tmp_path / "profile", f"--log-net-log={net_log}", "--dump-dom")
    assert _page_requests(net_log) == ["http://192.0.2.1/pixel.png"]


def test_filter_narrows_the_list_by_text_severity_and_status(page: Path, tmp_path: Path) -> None:
    url = page.as_uri() + "?severity=critical&status=open&q=logs"
    dom = _chromium(url, tmp_path / "profile", "--dump-dom").stdout
    assert '<output id="filter-count">1 of 13 shown</output>' in dom
    # Each issue is once in the <noscript> text; the script made an element of the match only.
    article = '<article class="issue" id="ISSUE-004" data-severity="critical" data-status="open">'
    assert dom.count(article) == 2
    assert dom.count('id="ISSUE-003"') == 1
    assert dom.count('<tr data-issue="ISSUE-004"') == 2 and dom.count('<tr data-issue="ISSUE-001"') == 1


@pytest.fixture(scope="module")
def large_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project of 300 issues exported as HTML (three pages of the list)."""
    root = tmp_path_factory.mktemp("large") / "n300"
    subprocess.run([sys.executable, str(BENCH / "generate.py"), str(root), "300"], check=True,
                   capture_output=True)
    config = load_config(root)
    target = root / "log.html"
    target.write_text(export_html(load_issues(config).issues, config, today=date(2026, 1, 31)),
                      encoding="utf-8")
    return target


def _elements(dom: str) -> str:
    """The DOM without the text of its <noscript> blocks (which the dump shows as it was written)."""
    return re.sub(r"<noscript>.*?</noscript>", "", dom, flags=re.DOTALL)


def test_a_long_list_shows_a_page_of_issues_with_their_bodies(large_page: Path, tmp_path: Path) -> None:
    dom = _elements(_chromium(large_page.as_uri(), tmp_path / "profile", "--dump-dom").stdout)
    assert '<output id="filter-count">100 of 300 matching shown (300 issues)</output>' in dom
    assert dom.count('<article class="issue"') == 100 and dom.count('<tr data-issue="ISSUE-') == 100
    assert dom.count("<h4>Description</h4>") == 100 and "<h4>Steps to Reproduce</h4>" in dom
    assert '<p id="more">' in dom  # the button for the next page is shown


def test_a_long_list_filters_every_issue_and_links_reach_any(large_page: Path, tmp_path: Path) -> None:
    source = large_page.read_text(encoding="utf-8")
    title = re.search(r'id="ISSUE-287" data-severity="(\w+)" data-status="(\w+)">\n<h3>'
                      r'<a href="#ISSUE-287">ISSUE-287</a> ([^<]+)</h3>', source)
    assert title is not None
    severity, status, words = title.groups()
    url = f"{large_page.as_uri()}?severity={severity}&status={status}&q={words.replace(' ', '+')}"
    dom = _elements(_chromium(url, tmp_path / "profile", "--dump-dom").stdout)
    assert 'id="ISSUE-287"' in dom and '<p id="more" hidden="">' in dom
    shown = re.search(r'<output id="filter-count">(\d+) of 300 shown</output>', dom)
    assert shown is not None and 1 <= int(shown.group(1)) < 100
    # A link to an issue beyond the first page shows its article above the list.
    dom = _elements(_chromium(large_page.as_uri() + "#ISSUE-250", tmp_path / "profile2",
                              "--dump-dom").stdout)
    assert dom.count('<article class="issue" id="ISSUE-250"') == 1


def test_without_javascript_every_issue_is_shown(large_page: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from html_load import DevTools  # the DevTools protocol over a pipe, as the benchmark drives it

    assert BROWSER is not None
    tools = DevTools(BROWSER, tmp_path / "profile")
    try:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tools.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        tools.send("Page.enable", session=session)
        tools.send("Page.navigate", {"url": large_page.as_uri()}, session=session)
        tools.wait_for("Page.loadEventFired")
        root = tools.send("DOM.getDocument", session=session)["root"]["nodeId"]
        counts = {selector: len(tools.send("DOM.querySelectorAll", {
            "nodeId": root, "selector": selector}, session=session)["nodeIds"])
            for selector in ("article.issue", "table.index tr[data-issue]", "article h4",
                             "form#filter[hidden]")}
    finally:
        tools.close()
    # Elements, not text: the <noscript> blocks were parsed as the page without a script sees them.
    assert counts == {"article.issue": 300, "table.index tr[data-issue]": 300,
                      "article h4": counts["article h4"], "form#filter[hidden]": 1}
    assert counts["article h4"] >= 300 * 5


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    _chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}",
              f"--window-size={WINDOW[0]},{WINDOW[1]}")
    assert _png_size(shot) == WINDOW
    if os.environ.get("ISSUELOG_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.write_bytes(shot.read_bytes())
    assert _png_size(DOCS_SCREENSHOT) == WINDOW
