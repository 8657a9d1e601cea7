"""Channels (where digests go), the delivery outbox and every attempt's record."""
