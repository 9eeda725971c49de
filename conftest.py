"""Test-collection settings shared by the tests and the doctests."""

collect_ignore = ["ecograph/__main__.py", "benchmarks"]
