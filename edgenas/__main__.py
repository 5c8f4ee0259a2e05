"""`python -m edgenas ...` runs the CLI."""

import sys

from edgenas.cli import main

sys.exit(main())
