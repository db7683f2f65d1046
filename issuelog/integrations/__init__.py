"""Bridges from issuelog to other programs: PostgreSQL (`publish`, the rows it holds) and coding
agents (MCP)."""
