"""Example conversations for ``escalate demo``."""
