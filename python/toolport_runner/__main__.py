"""`python3 -m toolport_runner serve|analyze SCRIPT.py …` from the python/ folder (development)."""

import sys

from .cli import main

main(sys.argv[1:])
