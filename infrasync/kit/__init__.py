"""Domain-free helpers. Nothing in here imports a domain package."""
