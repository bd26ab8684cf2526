from aigw.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_UNSPECIFIED: _ClassVar[Operation]
    OPERATION_CHAT_COMPLETIONS: _ClassVar[Operation]
    OPERATION_EMBEDDINGS: _ClassVar[Operation]
    OPERATION_ANTHROPIC_MESSAGES: _ClassVar[Operation]
    OPERATION_ANTHROPIC_COUNT_TOKENS: _ClassVar[Operation]
OPERATION_UNSPECIFIED: Operation
OPERATION_CHAT_COMPLETIONS: Operation
OPERATION_EMBEDDINGS: Operation
OPERATION_ANTHROPIC_MESSAGES: Operation
OPERATION_ANTHROPIC_COUNT_TOKENS: Operation

class CompleteRequest(_message.Message):
    __slots__ = ("request_id", "model", "body", "include_usage", "key_id", "operation", "anthropic_beta")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_USAGE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ANTHROPIC_BETA_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    model: str
    body: bytes
    include_usage: bool
    key_id: str
    operation: Operation
    anthropic_beta: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., model: _Optional[str] = ..., body: _Optional[bytes] = ..., include_usage: _Optional[bool] = ..., key_id: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., anthropic_beta: _Optional[_Iterable[str]] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("provider", "deployment", "attempts")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    deployment: str
    attempts: int
    def __init__(self, provider: _Optional[str] = ..., deployment: _Optional[str] = ..., attempts: _Optional[int] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("body", "usage", "route")
    BODY_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    usage: _common_pb2.Usage
    route: Route
    def __init__(self, body: _Optional[bytes] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class StreamStart(_message.Message):
    __slots__ = ("route",)
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: Route
    def __init__(self, route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class StreamChunks(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, data: _Optional[_Iterable[bytes]] = ...) -> None: ...

class StreamEnd(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _common_pb2.Usage
    def __init__(self, usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ...) -> None: ...

class CompleteStreamResponse(_message.Message):
    __slots__ = ("start", "chunks", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: StreamStart
    chunks: StreamChunks
    end: StreamEnd
    def __init__(self, start: _Optional[_Union[StreamStart, _Mapping]] = ..., chunks: _Optional[_Union[StreamChunks, _Mapping]] = ..., end: _Optional[_Union[StreamEnd, _Mapping]] = ...) -> None: ...

class CompleteManyRequest(_message.Message):
    __slots__ = ("call_id", "request", "cancel", "trace_context")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    request: CompleteRequest
    cancel: bool
    trace_context: _containers.ScalarMap[str, str]
    def __init__(self, call_id: _Optional[int] = ..., request: _Optional[_Union[CompleteRequest, _Mapping]] = ..., cancel: _Optional[bool] = ..., trace_context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CompleteManyResponse(_message.Message):
    __slots__ = ("call_id", "response", "error")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    response: CompleteResponse
    error: _common_pb2.GatewayError
    def __init__(self, call_id: _Optional[int] = ..., response: _Optional[_Union[CompleteResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.GatewayError, _Mapping]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CachePolicy(_message.Message):
    __slots__ = ("enabled", "ttl_s")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TTL_S_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    ttl_s: int
    def __init__(self, enabled: _Optional[bool] = ..., ttl_s: _Optional[int] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("name", "cache", "created", "owned_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    OWNED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    cache: CachePolicy
    created: int
    owned_by: str
    def __init__(self, name: _Optional[str] = ..., cache: _Optional[_Union[CachePolicy, _Mapping]] = ..., created: _Optional[int] = ..., owned_by: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ...) -> None: ...
