"""opsready: is the operations-technology roadmap working, plant by plant?"""

__version__ = "0.1.0"
