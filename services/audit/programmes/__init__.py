"""QA: programmes."""
