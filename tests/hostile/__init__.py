"""Hostile sites and files: bombs, traps, SSRF, kills. Marker ``hostile``; each case bounded in time."""
