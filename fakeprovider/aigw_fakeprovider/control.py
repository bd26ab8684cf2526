"""The control API under `/_fake/`: recorded requests, knobs and health. No auth.

Tests drive the fake through it: turn knobs (`PUT /_fake/knobs`, optionally
scoped to one `model`), read what a gateway sent (`GET /_fake/requests`), and
reset between tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.app import CONTROL_PREFIX, Route
from aigw_fakeprovider.delivery import BytesResponse, JsonResponse, Response
from aigw_fakeprovider.errors import InvalidRequestError, ProviderError
from aigw_fakeprovider.faults import FaultPlanner
from aigw_fakeprovider.images import png_for
from aigw_fakeprovider.knobs import KnobBoard, KnobError, knobs_as_json
from aigw_fakeprovider.recorder import RequestRecorder


class ControlApi:
    """The `/_fake/` routes; errors are `{"error": "<message>"}`."""

    def __init__(self, *, board: KnobBoard, planner: FaultPlanner, recorder: RequestRecorder) -> None:
        self._board = board
        self._planner = planner
        self._recorder = recorder

    def routes(self) -> Sequence[Route]:
        return (
            Route("GET", f"{CONTROL_PREFIX}health", self._health),
            Route("GET", f"{CONTROL_PREFIX}requests", self._list_requests),
            Route("DELETE", f"{CONTROL_PREFIX}requests", self._clear_requests),
            Route("GET", f"{CONTROL_PREFIX}knobs", self._show_knobs),
            Route("PUT", f"{CONTROL_PREFIX}knobs", self._change_knobs),
            Route("DELETE", f"{CONTROL_PREFIX}knobs", self._reset_knobs),
            Route("GET", f"{CONTROL_PREFIX}images/{{name}}.png", self._image),
        )

    def error_response(self, error: ProviderError) -> Response:
        return JsonResponse(error.status, {"error": error.message})

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        if allowed_methods:
            return ProviderError(
                405, f"{request.method} is not allowed on {request.path}", error_type="invalid_request_error"
            )
        return ProviderError(
            404, f"no control endpoint at {request.path}", error_type="invalid_request_error"
        )

    async def _health(self, request: Request) -> Response:
        return JsonResponse(200, {"status": "ok"})

    async def _list_requests(self, request: Request) -> Response:
        return JsonResponse(200, self._recorder.recorded())

    async def _clear_requests(self, request: Request) -> Response:
        return JsonResponse(200, {"cleared": self._recorder.clear()})

    async def _show_knobs(self, request: Request) -> Response:
        return JsonResponse(200, self._board.as_json())

    async def _change_knobs(self, request: Request) -> Response:
        changes = _json_object(request.body)
        model = changes.pop("model", None)
        if model is not None and (not isinstance(model, str) or not model):
            raise InvalidRequestError("'model' must be a non-empty string")
        try:
            knobs = self._board.change(changes, model=model)
        except KnobError as error:
            raise InvalidRequestError(str(error)) from None
        self._planner.restart()
        return JsonResponse(200, {"model": model, "knobs": knobs_as_json(knobs)})

    async def _reset_knobs(self, request: Request) -> Response:
        self._board.reset()
        self._planner.restart()
        return JsonResponse(200, self._board.as_json())

    async def _image(self, request: Request) -> Response:
        return BytesResponse(200, png_for(request.path_params["name"]), "image/png")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("the body must be a JSON object of knobs") from None
    if not isinstance(value, dict):
        raise InvalidRequestError("the body must be a JSON object of knobs")
    return value
