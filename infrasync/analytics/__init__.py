"""Analytics: time series and a summary of the org's digest metrics, computed in SQL over
the stored schema-1 JSON (docs/SPEC.md §7, docs/analytics.md)."""
