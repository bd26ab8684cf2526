"""Request parameters a provider cannot honour: refused with a 400, or dropped, per the model's policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class RequestFields:
    """What a translating adapter does with each field of the requests it takes.

    `unsupported` fields are refused or dropped per the policy, and so is any
    field outside `handled` (what the adapter translates, passes through or
    leaves out on purpose) and `unsupported`. A field set to its `neutral`
    value asks for nothing beyond the provider's own behaviour, and counts as
    absent.
    """

    handled: frozenset[str]
    unsupported: tuple[str, ...] = ()  # in the order a refusal names them
    neutral: Mapping[str, Any] = field(default_factory=dict)
    _known: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_known", self.handled | frozenset(self.unsupported))

    def apply_policy(self, request: dict[str, Any], provider: str, policy: ParamPolicy) -> list[str]:
        """Removes the neutral values, then the unsupported and unknown fields or refuses the first.

        Returns the names dropped.
        """
        for name, value in self.neutral.items():
            if request.get(name) == value:
                request.pop(name)
        extras = [name for name in request if name not in self._known]
        return apply_policy(request, [*self.unsupported, *extras], provider, policy)


def refuse_value(param: str, message: str) -> InvalidRequestError:
    """A 400 for a parameter whose value the provider cannot take (whatever the policy)."""
    return InvalidRequestError(message, param=param, code="unsupported_value")
