"""The core: configuration, one issue file (parse, validate, edit), the issue files on disk, the cache."""
