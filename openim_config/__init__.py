"""openim-gen: compile one openim.yaml into OpenIM deployments (binary, compose, helm)."""

__version__ = "0.1.0"
"""The one place the version is written (pyproject.toml reads it)."""
