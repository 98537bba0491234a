"""Locust: describe user behaviour in plain Python and swarm a system with it."""

__version__ = "0.8.0.dev0"
