"""Atom feeds of a monitor's digests, readable without a session at a secret URL."""
