"""The query side of the programme documents assistant."""

__version__ = "0.1.0"
