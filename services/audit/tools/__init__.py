"""QA: tools."""
