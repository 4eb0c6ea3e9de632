"""Success criteria → the indicators that show them (code, target, direction, by when)."""
