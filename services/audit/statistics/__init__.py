"""QA: statistics."""
