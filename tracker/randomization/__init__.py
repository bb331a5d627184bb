"""Randomization lists: generation, import, the SHA-256 commitment, and the one guarded allocation module."""
