"""Logging, metrics and health: how operators see a running Infrasync."""
