"""Working with git: the plumbing, hooks, IDs across branches (renumber), history and diff, CI."""
