"""QA: audits."""
