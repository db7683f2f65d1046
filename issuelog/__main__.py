"""`python -m issuelog` runs the command line."""

from issuelog.cli import main

main()
