"""The yardstick: read every issue file and parse its frontmatter with PyYAML's CSafeLoader.

Usage: python bench/baseline.py ISSUES_DIRECTORY

Nothing more than a plain loop can do, so every issuelog timing is shown as a ratio to it.
"""

from __future__ import annotations

import os
import sys

import yaml


def parse_all(directory: str) -> int:
    """Read and parse every `*.md` file of the directory; return how many there were."""
    count = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            text = handle.read()
        frontmatter = text.split("---\n", 2)[1]
        yaml.load(frontmatter, Loader=yaml.CSafeLoader)  # noqa: S506 - the C safe loader
        count += 1
    return count


if __name__ == "__main__":
    print(parse_all(sys.argv[1]))
