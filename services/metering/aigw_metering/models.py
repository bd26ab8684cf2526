"""The metering service's tables. Alembic's history in `migrations/` matches them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Column widths; the service rejects longer values with a 400 before they reach the database.
ID_LENGTH = 128
NAME_LENGTH = 256

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UsageEventRow(Base):
    """One answered request: who asked, which model served it, what it cost in tokens."""

    __tablename__ = "metering_usage_events"
    __table_args__ = (Index("ix_metering_usage_events_key_id_model", "key_id", "model"),)

    # The edge's request id; recording the same id twice stores it once.
    request_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    deployment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    prompt_tokens: Mapped[int] = mapped_column(BigInteger)
    completion_tokens: Mapped[int] = mapped_column(BigInteger)
    total_tokens: Mapped[int] = mapped_column(BigInteger)
    cached_tokens: Mapped[int] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger)
    latency_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int] = mapped_column(Integer)
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    stream: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


USAGE_EVENTS: Table = Base.metadata.tables[UsageEventRow.__tablename__]
