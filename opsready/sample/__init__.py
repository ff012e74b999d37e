"""The deterministic sample estate (`opsready generate`): landing files in each system's shape + manifest.json."""

from .build import generate

__all__ = ["generate"]
