"""A project's files: new issue files from the template, and `init`."""
