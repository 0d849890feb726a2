"""Service-quality figures computed from the event log (placeholder until Reports land)."""
