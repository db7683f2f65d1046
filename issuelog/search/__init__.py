"""Finding past issues: ranked full-text search and similar errors."""
