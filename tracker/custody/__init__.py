"""Custody events: who held a container or a bag, where and when, and the moves each may make."""
