from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CachedResponse(_message.Message):
    __slots__ = ("body", "stream_data", "stream", "provider", "deployment")
    BODY_FIELD_NUMBER: _ClassVar[int]
    STREAM_DATA_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    stream_data: _containers.RepeatedScalarFieldContainer[bytes]
    stream: bool
    provider: str
    deployment: str
    def __init__(self, body: _Optional[bytes] = ..., stream_data: _Optional[_Iterable[bytes]] = ..., stream: _Optional[bool] = ..., provider: _Optional[str] = ..., deployment: _Optional[str] = ...) -> None: ...

class LookupRequest(_message.Message):
    __slots__ = ("namespace", "key")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    key: str
    def __init__(self, namespace: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class LookupResponse(_message.Message):
    __slots__ = ("hit", "response")
    HIT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    hit: bool
    response: CachedResponse
    def __init__(self, hit: _Optional[bool] = ..., response: _Optional[_Union[CachedResponse, _Mapping]] = ...) -> None: ...

class StoreRequest(_message.Message):
    __slots__ = ("namespace", "key", "response", "ttl_s")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TTL_S_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    key: str
    response: CachedResponse
    ttl_s: int
    def __init__(self, namespace: _Optional[str] = ..., key: _Optional[str] = ..., response: _Optional[_Union[CachedResponse, _Mapping]] = ..., ttl_s: _Optional[int] = ...) -> None: ...

class StoreResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
