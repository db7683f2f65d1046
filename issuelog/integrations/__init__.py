"""Copies of the issue log outside git: PostgreSQL (`publish`) and the rows it holds."""
