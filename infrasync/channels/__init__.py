"""Transports: one per channel kind, each turning an Attempt into an Outcome.

`base` holds the shared contract; `http` the SSRF-safe poster the HTTP kinds share."""
