"""`issuelog mcp`: the server started as a subprocess, driven by the SDK's own stdio client."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

from issuelog.core.cache import load_issues  # noqa: E402
from issuelog.core.config import load_config  # noqa: E402
from issuelog.ops.events import ErrorEvent
from issuelog.ops.record import record_event  # noqa: E402
from issuelog.project.scaffold import create_reference  # noqa: E402

EXPECTED_TOOLS = {"list", "search", "similar", "show", "new", "record", "set_status", "resolve",
                  "assign", "set", "check", "render"}


def _server(project: Path) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "issuelog", "mcp"],
                                 cwd=str(project))


async def _call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A tool's answer as JSON; an error answer raises with its text."""
    result = await session.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    if result.is_error:
        raise AssertionError(f"{tool} failed: {text}")
    return json.loads(text)


async def _error(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error, f"{tool} {arguments} did not fail"
    return str(result.content[0].text)  # type: ignore[union-attr]


def _seed(project: Path) -> None:
    """A known database outage (resolved) and a reference entry about Redis."""
    config = load_config(project)
    first = record_event(config, ErrorEvent(
        error="ConnectionRefusedError: [Errno 111] connect to 10.0.0.5:5432", component="database"))
    from issuelog.core.edits import change_status

    change_status(config, first.issue_id, "resolved",
                  resolution="Wait for pg_isready in the entrypoint before starting the app.")
    create_reference(config, {"title": "Redis unreachable from a new subnet", "component": "cache",
                              "error_message": "Error 110 connecting to cache-1:6379"},
                     cause="The security group misses the subnet.",
                     solution="Add the subnet to the Redis security group.")


@pytest.mark.slow  # a real server process and a session of twenty calls: several seconds
def test_an_agent_session_over_stdio(project: Path) -> None:
    _seed(project)

    async def session_run() -> None:
        async with stdio_client(_server(project)) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert tools == EXPECTED_TOOLS

            # The agent meets an error: has it been seen before?
            found = await _call(session, "search", query="connection refused database",
                                include_closed=True)
            assert found["items"][0]["id"] == "ISSUE-001"
            assert found["items"][0]["words"] and "excerpt" in found["items"][0]["sections"][0]
            near = await _call(session, "similar",
                               message="ConnectionRefusedError: [Errno 111] connect to 10.9.8.7:5432")
            assert near["items"][0]["id"] == "ISSUE-001" and near["items"][0]["exact"]
            assert "pg_isready" in near["items"][0]["resolution"]

            # A new error: recorded, then counted, then fixed.
            trace = ('Traceback (most recent call last):\n  File "/srv/app/jobs.py", line 7, in run\n'
                     "KeyError: 'tenant_42'\n")
            created = await _call(session, "record", stack_trace=trace, component="jobs")
            assert created["action"] == "created" and created["id"] == "ISSUE-003"
            counted = await _call(session, "record", stack_trace=trace.replace("42", "43"),
                                  component="jobs")
            assert (counted["action"], counted["occurrences"]) == ("counted", 2)
            await _call(session, "assign", issue_id="3", name="agent")
            changed = await _call(session, "set", issue_id="ISSUE-003",
                                  values={"severity": "high", "tags": "jobs,tenant"})
            assert changed["changed"]["tags"] == [None, ["jobs", "tenant"]]
            listed = await _call(session, "list", limit=1)
            assert listed["total"] == 1 and listed["next_cursor"] is None
            assert list(listed["items"][0]) == ["id", "title", "status", "severity", "component"]
            resolved = await _call(session, "resolve", issue_id="ISSUE-003",
                                   resolution="Create the tenant before scheduling its jobs.")
            assert resolved["changed"]["status"] == ["open", "resolved"]
            # An issue filed by hand for an error: the same error recorded later counts there.
            filed = await _call(session, "new", title="Quota exceeded", severity="low",
                                component="billing", error="QuotaError: limit 100 reached")
            again = await _call(session, "record", error="QuotaError: limit 250 reached",
                                component="billing")
            assert (again["action"], again["id"]) == ("counted", filed["id"])
            linked = await _call(session, "set", issue_id=filed["id"], values={"related": "3"})
            assert linked["changed"]["related"] == [None, ["ISSUE-003"]]
            shown = await _call(session, "show", issue_id="3", body=True)
            assert "Create the tenant before scheduling" in shown["body"]
            assert (await _call(session, "check"))["ok"] is True
            rendered = await _call(session, "render")
            assert rendered == {"path": "ISSUES.md", "changed": True, "issues": 3}

            # Resources: the log and an issue by ID.
            log = await session.read_resource("issuelog://ISSUES.md")
            assert "ISSUE-003" in log.contents[0].text  # type: ignore[union-attr]
            one = await session.read_resource("issuelog://issues/ISSUE-003")
            assert "tenant_42" in one.contents[0].text  # type: ignore[union-attr]

            # Bad arguments: clear tool errors, and the server keeps answering.
            assert "no issue ISSUE-099" in await _error(session, "show", issue_id="99")
            assert "unknown status 'later'" in await _error(session, "set_status",
                                                              issue_id="3", status="later")
            assert "unknown severity 'huge'" in await _error(session, "list", severity=["huge"])
            assert "bad cursor" in await _error(session, "list", cursor="abc")
            assert "limit must be" in await _error(session, "search", query="x", limit=0)
            assert "nothing to search for" in await _error(session, "search", query="!!")
            assert "give `message`" in await _error(session, "similar")
            refused = await _error(session, "set", issue_id="3", values={"reported": "soon"})
            assert "not changed" in refused
            assert "issue_id" in await _error(session, "resolve", resolution="x")  # missing arg
            assert "not key=value" in await _error(session, "set", issue_id="3",
                                                   values={"bad key": "x"})
            assert (await _call(session, "check"))["ok"] is True

    anyio.run(session_run)
    config = load_config(project)
    issues = {issue.id: issue for issue in load_issues(config).issues}
    assert issues["ISSUE-003"].status == "resolved" and issues["ISSUE-003"].occurrences == 2
    assert issues["ISSUE-003"].assignee == "agent" and issues["ISSUE-003"].tags == ["jobs", "tenant"]
    log = (project / "ISSUES.md").read_text(encoding="utf-8")
    assert "ISSUE-003" in log and log.endswith("\n") and "\r" not in log
    assert subprocess.run([sys.executable, "-m", "issuelog", "render", "--check"], cwd=project,
                          capture_output=True).returncode == 0
    assert subprocess.run([sys.executable, "-m", "issuelog", "check"], cwd=project,
                          capture_output=True).returncode == 0


def test_without_the_extra_the_command_names_it(project: Path, tmp_path: Path) -> None:
    # A copy of the package on a path where `mcp` cannot be imported.
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    (blocker / "mcp.py").write_text("raise ModuleNotFoundError('no mcp', name='mcp')\n")
    result = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                             "from issuelog.cli.app import main; sys.argv = ['issuelog', 'mcp']; "
                             "main()", str(blocker)], cwd=project, capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'issuelog[mcp]'" in result.stderr and "Traceback" not in result.stderr


def test_tools_answer_compactly_by_default(project: Path) -> None:
    """The functions behind the tools, in process: default answers hold the few fields."""
    from issuelog.integrations import mcp as server

    _seed(project)
    listed = server.list_issues(include_closed=True)
    assert [item["id"] for item in listed["items"]] == ["ISSUE-001", "ISSUE-002"]
    full = server.list_issues(include_closed=True, fields=["all"])
    assert len(json.dumps(full)) > 3 * len(json.dumps(listed))
    assert "body" not in server.show("1") and "body" in server.show("1", body=True)
    assert shutil.which("git")  # the project fixture is a git repository
