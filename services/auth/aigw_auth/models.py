"""The auth service's tables (SQLAlchemy 2, typed). Alembic history: `migrations/`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

API_KEYS_TABLE = "auth_api_keys"


class Base(DeclarativeBase):
    metadata = MetaData()


class ApiKeyRow(Base):
    """One API key. The secret itself is never stored, only its keyed hash."""

    __tablename__ = API_KEYS_TABLE
    __table_args__ = (Index("ix_auth_api_keys_key_hash", "key_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    # HMAC-SHA256(key_hash_secret, secret), hex.
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    allowed_models: Mapped[list[str]] = mapped_column(JSON)
    rpm_limit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
