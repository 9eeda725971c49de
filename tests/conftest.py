"""Fixtures shared by the test modules."""

from chromium import browser

__all__ = ["browser"]
