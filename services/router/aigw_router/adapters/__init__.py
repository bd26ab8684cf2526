"""Provider adapters, one module per provider, behind `ProviderAdapter`."""

from __future__ import annotations

from aigw_router.adapters.anthropic import AnthropicAdapter
from aigw_router.adapters.azure import AzureOpenAIAdapter
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ParamPolicy,
    ProviderAdapter,
    StreamTranslator,
    TokenUsage,
    UpstreamAnswer,
    UpstreamRequest,
)
from aigw_router.adapters.bedrock import BedrockAdapter
from aigw_router.adapters.cohere import CohereAdapter
from aigw_router.adapters.gemini import GeminiAdapter
from aigw_router.adapters.openai import OpenAIAdapter
from aigw_router.adapters.presets import PRESETS, PresetAdapter
from aigw_router.adapters.vertex import VertexAdapter

ADAPTER_TYPES: dict[str, type[ProviderAdapter]] = {
    "openai": OpenAIAdapter,
    "openai-compatible": OpenAIAdapter,
    "anthropic": AnthropicAdapter,
    "azure-openai": AzureOpenAIAdapter,
    "bedrock": BedrockAdapter,
    "cohere": CohereAdapter,
    "gemini": GeminiAdapter,
    "vertex": VertexAdapter,
    **{kind: PresetAdapter for kind in PRESETS},
}

__all__ = [
    "ADAPTER_TYPES",
    "AdapterServices",
    "ChatCall",
    "CompletionResult",
    "EmbeddingsCall",
    "ParamPolicy",
    "ProviderAdapter",
    "StreamTranslator",
    "TokenUsage",
    "UpstreamAnswer",
    "UpstreamRequest",
]
