"""The tamper-evident trail: ingest from every outbox, hash chain, verify, checkpoints, search."""
