"""The model catalog: public model names, their deployments and cache policy, from the config."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ParamPolicy, ProviderAdapter
from aigw_runtime.config import CacheConfig, ConfigError, GatewayConfig
from aigw_runtime.errors import ModelNotFoundError


@dataclass(frozen=True, slots=True)
class Deployment:
    """A public model as one provider serves it."""

    adapter: ProviderAdapter
    upstream_model: str
    policy: ParamPolicy = ParamPolicy.REJECT

    @property
    def provider(self) -> str:
        return self.adapter.name


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str
    deployments: tuple[Deployment, ...]
    cache: CacheConfig
    created: int
    owned_by: str


class Catalog:
    """Every model the gateway serves, by public name."""

    def __init__(self, models: dict[str, CatalogModel]) -> None:
        self._models = models

    @classmethod
    def from_config(cls, config: GatewayConfig, services: AdapterServices) -> Catalog:
        """Builds adapters for every provider (they resolve their secrets) and the models over them."""
        adapters: dict[str, ProviderAdapter] = {}
        for provider in config.providers:
            adapter_type = ADAPTER_TYPES.get(provider.type)
            if adapter_type is None:
                raise ConfigError(
                    f"provider {provider.name}: type {provider.type} is not supported by this router"
                )
            adapters[provider.name] = adapter_type(provider, services)
        created = int(time.time())
        models = {}
        for model in config.models:
            deployments = tuple(
                Deployment(
                    adapter=adapters[d.provider],
                    upstream_model=d.model,
                    policy=ParamPolicy(model.unsupported_params),
                )
                for d in model.deployments
            )
            models[model.name] = CatalogModel(
                name=model.name,
                deployments=deployments,
                cache=model.cache,
                created=created,
                owned_by=deployments[0].adapter.provider.type,
            )
        return cls(models)

    def get(self, name: str) -> CatalogModel:
        model = self._models.get(name)
        if model is None:
            raise ModelNotFoundError(name)
        return model

    def models(self) -> list[CatalogModel]:
        return sorted(self._models.values(), key=lambda m: m.name)
