"""Communes and neighbourhoods, each optionally with a GeoJSON boundary."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Commune(db.Model):
    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    insee_code: Mapped[str] = mapped_column(String(5), default="")
    population: Mapped[int] = mapped_column(Integer, default=0)
    boundary: Mapped[dict | None] = mapped_column(JSON)

    neighbourhoods = relationship(
        "Neighbourhood", back_populates="commune", order_by="Neighbourhood.name"
    )


class Neighbourhood(db.Model):
    __tablename__ = "neighbourhood"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("commune.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(150), unique=True)
    # Residents of the neighbourhood (0: unknown), for thresholds given as a share of the
    # residents of a scope smaller than the commune.
    population: Mapped[int] = mapped_column(Integer, default=0)
    boundary: Mapped[dict | None] = mapped_column(JSON)

    commune = relationship("Commune", back_populates="neighbourhoods", lazy="joined")

    def __str__(self) -> str:
        return self.name


def neighbourhood_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name).order_by(Neighbourhood.name)
    ).all()
    return [(row.id, row.name) for row in rows]
