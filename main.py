"""Entry point of the city and waterway command console.

With no subcommand it opens the console; every subcommand lives in console/cli/<name>.py.
"""

from __future__ import annotations

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
