"""Request parameters a provider cannot honour: refused with a 400, or dropped, per the model's policy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aigw_router.adapters.base import ParamPolicy
from aigw_runtime.errors import InvalidRequestError


def apply_policy(
    request: dict[str, Any], unsupported: Iterable[str], provider: str, policy: ParamPolicy
) -> list[str]:
    """Removes the unsupported parameters present in `request`, or refuses the first one.

    Returns the names dropped. A parameter set to null counts as absent.
    """
    present = [name for name in unsupported if request.get(name) is not None]
    if present and policy is ParamPolicy.REJECT:
        name = present[0]
        raise InvalidRequestError(
            f"Parameter '{name}' is not supported by provider {provider}. Remove it, or set the model's "
            "unsupported_params to drop.",
            param=name,
            code="unsupported_parameter",
        )
    for name in present:
        request.pop(name, None)
    return present


def refuse_value(param: str, message: str) -> InvalidRequestError:
    """A 400 for a parameter whose value the provider cannot take (whatever the policy)."""
    return InvalidRequestError(message, param=param, code="unsupported_value")
