"""Start-up of the ``ecograph`` command: Ctrl-C while the libraries load is one line.

Loading numpy, scipy, networkx and matplotlib takes about a second. A Ctrl-C in
that time would print a Python traceback, because the command line's own
handling (:func:`ecograph.cli.main`) is not loaded yet. So the first thing the
package does, when (and only when) the process is the ``ecograph`` command
(the console script or ``python -m ecograph``), is to make SIGINT print
``ecograph: interrupted`` and exit with code 130; :func:`ecograph.cli.run` gives
SIGINT back to Python once everything is loaded. Imported as a library,
ecograph leaves signals alone.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

__all__ = ["INTERRUPTED_MESSAGE", "is_command", "quiet_interrupt", "restore_interrupt"]

#: What the command prints when interrupted.
INTERRUPTED_MESSAGE = "ecograph: interrupted"


def is_command() -> bool:
    """True when this process is the ``ecograph`` command (not a program importing ecograph).

    Examples
    --------
    >>> is_command()  # under pytest
    False
    """
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    if name in ("ecograph", "ecograph.exe", "ecograph-script.py"):
        return True
    return list(getattr(sys, "orig_argv", [])[1:3]) == ["-m", "ecograph"]


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os.write(2, (INTERRUPTED_MESSAGE + "\n").encode())
    os._exit(130)


def quiet_interrupt() -> None:
    """While the command starts: Ctrl-C prints one line and exits 130 (nothing is written yet).

    Does nothing unless :func:`is_command`.
    """
    if is_command():
        with contextlib.suppress(ValueError):  # not the main thread: leave it
            signal.signal(signal.SIGINT, _exit_quietly)


def restore_interrupt() -> None:
    """Give SIGINT back to Python (KeyboardInterrupt), once the command line can handle it."""
    if signal.getsignal(signal.SIGINT) is _exit_quietly:
        signal.signal(signal.SIGINT, signal.default_int_handler)
