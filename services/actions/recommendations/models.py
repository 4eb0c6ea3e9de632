"""Ofsted recommendations and the actions that answer them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Identity, Integer, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base


class Recommendation(Base):
    __tablename__ = "recommendation"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    recommendation_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    progress_to_date: Mapped[str] = mapped_column(Text, server_default="")
    further_work: Mapped[str] = mapped_column(Text, server_default="")
    source_fix: Mapped[str | None] = mapped_column(Text)


class RecommendationAction(Base):
    __tablename__ = "recommendation_action"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.recommendation_id", ondelete="CASCADE"), primary_key=True
    )
    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.action_id", ondelete="CASCADE"), primary_key=True, index=True
    )
