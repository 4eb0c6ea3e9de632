"""QA: findings."""
