"""Bytes of `issuelog mcp` answers and of `list`, with 1,000 open issues: what an agent pays.

Usage: python bench/mcp_bytes.py [DIRECTORY]

Generates 1,000 issues with bench/generate.py (seed 7) and makes every one open, then starts
`issuelog mcp` and calls each tool once as an agent would, through the SDK's stdio client,
printing the bytes of each answer's text (about 4 bytes a token). Counts, not times: the same
on a busy machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

COUNT = 1000


def make_project(root: Path) -> None:
    """1,000 generated issues, every one open (status open, no resolved date)."""
    subprocess.run([sys.executable, str(Path(__file__).with_name("generate.py")), str(root),
                    str(COUNT)], check=True, stdout=subprocess.DEVNULL)
    for path in (root / "issues").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        head, sep, body = text.partition("\n---\n")
        head = re.sub(r"(?m)^status: .*$", "status: open", head)
        head = re.sub(r"(?m)^(resolved|resolved_unknown|reference_only): .*\n?", "", head)
        head = re.sub(r"(?ms)^reference:\n(?:  .*\n?)*", "", head)
        path.write_text(head + sep + body, encoding="utf-8")


async def measure(root: Path) -> list[tuple[str, int, int]]:
    """(call, bytes of its answer's text, bytes of the whole result) for each typical call."""
    rows: list[tuple[str, int, int]] = []
    server = StdioServerParameters(command=sys.executable, args=["-m", "issuelog", "mcp"],
                                   cwd=str(root))
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        size = len(tools.model_dump_json(by_alias=True, exclude_none=True).encode())
        rows.append(("tools/list (12 tool descriptions and schemas)", size, size))

        async def call(label: str, tool: str, **arguments: Any) -> Any:
            result = await session.call_tool(tool, arguments)
            text = result.content[0].text  # type: ignore[union-attr]
            wire = len(result.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8"))
            rows.append((label, len(text.encode("utf-8")), wire))
            return None if result.is_error else json.loads(text)

        await call("list (default: 20 issues, 5 fields)", "list")
        await call("list limit=1000 (5 fields)", "list", limit=1000)
        await call("list limit=1000 fields=all", "list", limit=1000, fields=["all"])
        await call("search (10 hits, 1 excerpt each)", "search", query="connection timeout")
        await call("search limit=3 excerpts=0", "search", query="connection timeout", limit=3,
                   excerpts=0)
        await call("similar (3 closest, cause and fix)", "similar",
                   message="TimeoutError: worker pool connection timed out after 30 s")
        await call("show (fields, no body)", "show", issue_id="7")
        await call("show body=true", "show", issue_id="7", body=True)
        created = await call("record (created)", "record",
                             error="KeyError: 'tenant_42'", component="jobs")
        await call("record (counted)", "record", error="KeyError: 'tenant_43'", component="jobs")
        await call("new", "new", title="Export button does nothing", severity="low")
        await call("assign", "assign", issue_id=created["id"], name="agent")
        await call("set", "set", issue_id=created["id"], values={"severity": "high"})
        await call("set_status", "set_status", issue_id=created["id"], status="in_progress")
        await call("resolve (with resolution)", "resolve", issue_id=created["id"],
                   resolution="Create the tenant first.")
        await call("check (ok)", "check")
        await call("render", "render")
        await call("a tool error (unknown ID)", "show", issue_id="99999")
    return rows


def main() -> None:
    """Print the Markdown rows."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "project"
    if not (root / "issues").is_dir():
        make_project(root)
    cli = subprocess.run([sys.executable, "-m", "issuelog", "list", "--format", "json"], cwd=root,
                         capture_output=True, check=True).stdout
    print(f"| CLI `list --format json` ({len(json.loads(cli))} open issues, every field) "
          f"| {len(cli):,} | |")
    for label, size, wire in anyio.run(measure, root):
        print(f"| MCP {label} | {size:,} | {wire:,} |")


if __name__ == "__main__":
    main()
