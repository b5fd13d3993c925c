"""Names the command line needs before any command runs, kept apart so that parsing flags,
``--help`` and ``--version`` import nothing heavy (the model, the targets, the serializers)."""

from __future__ import annotations

__all__ = ["ENV_PREFIX", "TARGET_NAMES"]

TARGET_NAMES = ("binary", "compose", "helm")
"""Every deployment target, in the order they are built (``targets.TARGETS`` holds their code)."""
ENV_PREFIX = "OPENIM_GEN_"
"""Environment variables ``OPENIM_GEN_<KEY>__<KEY>=VALUE`` set model keys."""
