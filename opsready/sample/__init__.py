"""The deterministic sample estate (`opsready generate`): landing files in each system's shape + manifest.json."""

from .generate import generate

__all__ = ["generate"]
