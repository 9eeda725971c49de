"""The ``ecograph`` command line: a thin mirror of the library (see :mod:`ecograph.cli.main`)."""

from ecograph.cli.main import cli, main

__all__ = ["cli", "main", "run"]


def run() -> None:
    """Console-script entry point: run :func:`main` and exit with its code."""
    import sys

    sys.exit(main())
