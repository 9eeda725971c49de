"""``python -m ecograph`` runs the command line."""

import sys

from ecograph.cli import main

sys.exit(main())
