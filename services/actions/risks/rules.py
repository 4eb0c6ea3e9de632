"""Rules of the risk register: a risk's residual score never exceeds its inherent score."""

from __future__ import annotations

from shared.problems import InvalidInput, field_error

MESSAGE = (
    "the residual score (likelihood_after x impact_after) may not exceed the inherent score "
    "(likelihood_before x impact_before)"
)


def check_scores(
    likelihood_before: int, impact_before: int, likelihood_after: int, impact_after: int
) -> None:
    """Mitigation lowers a risk or leaves it: refuse a residual above the inherent score,
    naming the residual fields (and never the values sent)."""
    if likelihood_after * impact_after > likelihood_before * impact_before:
        raise InvalidInput(
            MESSAGE,
            extensions={
                "errors": [
                    field_error(name, MESSAGE, "residual_above")
                    for name in ("likelihood_after", "impact_after")
                ]
            },
        )
