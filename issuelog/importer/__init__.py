"""`issuelog import`: hand-kept Markdown logs read into drafts, then written as issue files."""
