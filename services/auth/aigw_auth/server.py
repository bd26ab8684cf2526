"""Wiring and lifecycle of the auth service process."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import grpc
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw.auth.v1 import auth_pb2, auth_pb2_grpc
from aigw_auth.authenticator import Authenticator
from aigw_auth.changes import ChangeFeed, MemoryChangeFeed, RedisChangeFeed
from aigw_auth.key_admin import KeyAdmin
from aigw_auth.keys import HASH_SECRET_FILENAME, HashSecretError, KeyHasher, resolve_hash_secret
from aigw_auth.schema import SchemaNotReadyError, check_schema
from aigw_auth.service import AuthServicer
from aigw_auth.store import KeyStore
from aigw_runtime.bootstrap import ServiceContext, run_service
from aigw_runtime.db import create_engine, database_url
from aigw_runtime.grpc_server import GrpcHost, serve_until_signal
from aigw_runtime.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name


def build_feed(redis_url: str | None) -> ChangeFeed:
    """Redis pub/sub when Redis is configured (any number of replicas), else in-process (one replica)."""
    if redis_url:
        from aigw_runtime.redis_client import open_redis

        return RedisChangeFeed(open_redis(redis_url))
    return MemoryChangeFeed()


@dataclass
class AuthApp:
    """Everything one auth process holds open, and how to let it go."""

    servicer: AuthServicer
    feed: ChangeFeed
    engine: AsyncEngine

    def register(self, server: grpc.aio.Server) -> None:
        auth_pb2_grpc.add_AuthServiceServicer_to_server(self.servicer, server)

    async def close(self) -> None:
        await self.feed.close()
        await self.engine.dispose()


def build_app(settings: Settings, engine: AsyncEngine, feed: ChangeFeed) -> AuthApp:
    """The servicer and what it depends on, from settings (the key hash secret may be created on disk)."""
    store = KeyStore(engine)
    if settings.database_url and not settings.key_hash_secret:
        log.warning(
            "AIGW_KEY_HASH_SECRET is not set: keys are hashed with the secret in %s, which every auth "
            "replica sharing this database must also have, or keys created elsewhere will not work",
            settings.data_path / HASH_SECRET_FILENAME,
        )
    hasher = KeyHasher(resolve_hash_secret(settings.key_hash_secret, settings.data_path))
    authenticator = Authenticator(store, hasher, settings.admin_key)
    if not authenticator.admin_enabled:
        log.warning("no admin key is configured (AIGW_ADMIN_KEY): keys cannot be created, listed or revoked")
    servicer = AuthServicer(authenticator, KeyAdmin(store, hasher, feed), feed)
    return AuthApp(servicer=servicer, feed=feed, engine=engine)


async def run(ctx: ServiceContext) -> None:
    settings = ctx.settings
    engine = create_engine(database_url(settings, "auth"))
    try:
        await check_schema(engine)
        app = build_app(settings, engine, build_feed(settings.redis_url))
    except (SchemaNotReadyError, HashSecretError, SQLAlchemyError, OSError) as exc:
        log.error("cannot start: %s", exc)
        await engine.dispose()
        sys.exit(1)
    host = GrpcHost(settings.auth_addr, ctx.telemetry)
    host.add(app.register, SERVICE_NAME)
    # Watch streams never end on their own: end them first, or they hold the whole grace period.
    await serve_until_signal(
        host, settings.shutdown_grace_s, on_draining=app.feed.end_subscriptions, on_stop=app.close
    )


def main() -> None:
    run_service("auth", run)
