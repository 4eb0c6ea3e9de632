"""Recommendations (Ofsted's to the local authority, and to the LSCB) and the actions that
answer them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base

#: 'ofsted': the inspection's recommendations to the local authority (Appendix One);
#: 'lscb': its recommendations to the Local Safeguarding Children Board.
SOURCES = ("ofsted", "lscb")


class Recommendation(Base):
    __tablename__ = "recommendation"
    __table_args__ = (
        UniqueConstraint("plan_id", "source", "number"),
        CheckConstraint("source IN ('ofsted', 'lscb')", name="source"),
    )

    recommendation_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10), server_default="ofsted")
    number: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    progress_to_date: Mapped[str] = mapped_column(Text, server_default="")
    further_work: Mapped[str] = mapped_column(Text, server_default="")
    source_fix: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class RecommendationAction(Base):
    __tablename__ = "recommendation_action"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.recommendation_id", ondelete="CASCADE"), primary_key=True
    )
    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.action_id", ondelete="CASCADE"), primary_key=True, index=True
    )
