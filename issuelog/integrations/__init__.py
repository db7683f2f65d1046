"""Bridges from issuelog to other programs: coding agents (MCP)."""
