"""The next issue number: above every file in the issues directory and on every recent branch."""

from __future__ import annotations

import os
import time

from issuelog.core.config import Config
from issuelog.core.store import highest_id_number, id_file_pattern, state_dir
from issuelog.git.gitrepo import highest_on_branches


def highest_id_anywhere(config: Config) -> int:
    """The highest issue number in the issues directory or on any recent local or remote-tracking
    branch.

    Teammates' branches are read with git plumbing, so an ID taken on another branch is not
    handed out again here; outside a git repository only the directory counts. A branch counts
    when its last commit is at most `id_branch_days` old (0: always); the default branch and the
    current one always count.
    """
    here = highest_id_number(os.listdir(config.issues_path), config) if config.issues_path.is_dir() else 0
    cache = state_dir(config) / f"branch-ids-{config.id_prefix}.json"

    since = int(time.time()) - config.id_branch_days * 86400 if config.id_branch_days else None
    elsewhere = highest_on_branches(config.root, config.issues_path, id_file_pattern(config), cache,
                                    since=since, default=config.default_branch)
    return max(here, elsewhere)


def next_free_number(config: Config) -> int:
    """The number the next new issue gets (call it under `write_lock`)."""
    return highest_id_anywhere(config) + 1
