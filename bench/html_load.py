"""How long headless Chromium takes to load the page of `issuelog export --format html`.

Usage: python bench/html_load.py PAGE.html [--runs 5] [--browser /usr/bin/chromium]

Each run starts a fresh browser (a new profile, no network), opens the page through the
DevTools protocol over a pipe (no extra package needed), and reports, from the page's own
clock: the `load` event (navigation start to the end of `load`, the filter script included)
and the first frame drawn after it (layout and paint of what the window shows). Prints each
run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--window-size=1200,1500", "--remote-debugging-pipe"]
#: Resolves once a frame has been drawn after the `load` event.
FIRST_FRAME = ("new Promise(done => requestAnimationFrame(() => setTimeout(() => "
               "done(performance.now()), 0)))")
NAVIGATION = "JSON.stringify(performance.getEntriesByType('navigation')[0])"


class DevTools:
    """The DevTools protocol over Chromium's pipe: JSON messages ended by a NUL byte."""

    def __init__(self, browser: str, profile: Path) -> None:
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()

        def as_fds_3_and_4() -> None:
            reading, writing = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(3, 4),
            preexec_fn=as_fds_3_and_4)  # noqa: PLW1509 - the browser expects fds 3 and 4
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer (events before it are dropped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            answer = self.receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]  # type: ignore[no-any-return]

    def receive(self) -> dict[str, Any]:
        """The next message from the browser."""
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def wait_for(self, event: str) -> None:
        """Wait until the browser sends this event."""
        while self.receive().get("method") != event:
            pass

    def close(self) -> None:
        """Close the browser (and its helper processes), or stop it if it does not close."""
        try:
            os.write(self._write, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)


def load_once(browser: str, page: Path) -> tuple[float, float]:
    """Milliseconds to the end of the `load` event, and to the first frame after it."""
    with tempfile.TemporaryDirectory(prefix="issuelog-chromium-",
                                     ignore_cleanup_errors=True) as profile:
        tools = DevTools(browser, Path(profile))
        try:
            target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = tools.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
            tools.send("Page.enable", session=session)
            tools.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            tools.wait_for("Page.loadEventFired")
            frame = tools.send("Runtime.evaluate", {"expression": FIRST_FRAME,
                                                    "awaitPromise": True}, session=session)
            navigation = tools.send("Runtime.evaluate", {"expression": NAVIGATION},
                                    session=session)
        finally:
            tools.close()
    timing = json.loads(navigation["result"]["value"])
    return timing["loadEventEnd"], frame["result"]["value"]


def main() -> None:
    """Command line: the page, the number of runs, the browser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium")
    arguments = parser.parse_args()
    loads, frames = [], []
    for run in range(1, arguments.runs + 1):
        load, frame = load_once(arguments.browser, arguments.page)
        loads.append(load)
        frames.append(frame)
        print(f"run {run}: load {load:.0f} ms, first frame {frame:.0f} ms", flush=True)
    size = arguments.page.stat().st_size / 1e6
    print(f"{arguments.page.name} ({size:.1f} MB): median load {statistics.median(loads):.0f} ms, "
          f"median first frame {statistics.median(frames):.0f} ms ({arguments.runs} runs)")


if __name__ == "__main__":
    main()
