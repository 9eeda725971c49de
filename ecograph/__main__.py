"""``python -m ecograph`` runs the command line."""

import sys

from ecograph._start import restore_interrupt
from ecograph.cli import main

restore_interrupt()
sys.exit(main())
