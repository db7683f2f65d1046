"""`python -m issuelog` runs the command line."""

from issuelog.entry import main

main()
