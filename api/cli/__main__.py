"""`python -m api.cli`: the `rapport` command."""

import sys

from api.cli import main

sys.exit(main())
