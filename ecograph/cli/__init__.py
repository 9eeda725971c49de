"""The ``ecograph`` command line: a thin mirror of the library (see :mod:`ecograph.cli.main`)."""

# command modules: each registers its commands on `cli` when imported
from ecograph.cli import (  # noqa: F401
    compare,
    diagnosis,
    exchange,
    fit,
    flows,
    longtail,
    network,
    render,
    report,
)
from ecograph.cli.main import cli, main

__all__ = ["cli", "main", "run"]


def run() -> None:
    """Console-script entry point: run :func:`main` and exit with its code."""
    import sys

    sys.exit(main())
