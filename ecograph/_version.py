"""The version of ecograph, in one place (the package, the pages and the CLI read it)."""

__version__ = "0.1.0"
