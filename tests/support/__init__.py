"""Shared test support: the stand-in API, constants and helpers, fault cases, hosted servers.

Test modules import from here, never from one another; ``conftest.py`` holds fixtures only.
"""
