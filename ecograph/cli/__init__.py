"""The ``ecograph`` command line: a thin mirror of the library (see :mod:`ecograph.cli.main`)."""

# command modules: each registers its commands on `cli` when imported
from ecograph.cli import (  # noqa: F401
    advise,
    compare,
    diagnosis,
    economics,
    exchange,
    fit,
    flows,
    longtail,
    network,
    render,
    report,
    trend,
)
from ecograph.cli.main import cli, main

__all__ = ["cli", "main", "run"]


def run() -> None:
    """Console-script entry point: run :func:`main` and exit with its code.

    Ctrl-C from here on is handled by :func:`main` (exit 130, one line); before,
    while the libraries load, by :mod:`ecograph._start`.
    """
    import sys

    from ecograph._start import restore_interrupt

    restore_interrupt()
    sys.exit(main())
