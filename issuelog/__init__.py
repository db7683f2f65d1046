"""issuelog: a Markdown-native issue log, one file per issue and a rendered ISSUES.md."""

__version__ = "0.2.0"
