"""Azure's content filtering, made deterministic: annotations on every answer, refusals on demand.

Every answer carries Azure's annotations: `prompt_filter_results` (one entry,
`prompt_index` 0) and `content_filter_results` on each choice, each category
`{"filtered": false, "severity": "safe"}` (jailbreak: `"detected": false`). A
stream opens with Azure's prompt-filter chunk (`"choices": []`, empty `id`,
`model` and `object`); its token chunks carry the choice results, its role and
finish chunks an empty `{}`.

The real filter judges the text; this one obeys markers a test writes into a
message. `filter-prompt:<category>` anywhere in the conversation refuses the
prompt: 400, `code: content_filter`, `param: prompt`, and an `innererror` with
the results (the category filtered at severity high; jailbreak detected).
`filter-completion:<category>` lets each text choice say the first half of its
answer, then stops it with `finish_reason: content_filter` and the category
filtered in its results. Categories: hate, self_harm, sexual, violence, and
jailbreak (prompts only).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_fakeprovider.answers import Answer, Completion, StopReason, Turn, split_tokens
from aigw_fakeprovider.azure_errors import AzureError
from aigw_fakeprovider.delivery import Frame

SEVERITY_CATEGORIES = ("hate", "self_harm", "sexual", "violence")
_MARKER = re.compile(r"filter-(prompt|completion):(hate|self_harm|sexual|violence|jailbreak)")
_PROMPT_REFUSED = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please "
    "modify your prompt and retry. To learn more about our content filtering policies please read our "
    "documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)
_DATA = b"data: "


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    """What the filter blocks in one request: a prompt category, a completion category, or nothing."""

    prompt: str | None = None
    completion: str | None = None


def judge(turns: Sequence[Turn]) -> FilterVerdict:
    """The verdict for a conversation, from the first marker of each kind in it."""
    found: dict[str, str] = {}
    for turn in turns:
        for kind, category in _MARKER.findall(turn.text):
            found.setdefault(kind, category)
    completion = found.get("completion")
    return FilterVerdict(found.get("prompt"), completion if completion != "jailbreak" else None)


def category_results(filtered: str | None = None, *, prompt: bool) -> dict[str, Any]:
    """One set of filter results, every category safe but `filtered`."""
    results: dict[str, Any] = {}
    for category in sorted((*SEVERITY_CATEGORIES, *(("jailbreak",) if prompt else ()))):
        hit = category == filtered
        if category == "jailbreak":
            results[category] = {"filtered": hit, "detected": hit}
        else:
            results[category] = {"filtered": hit, "severity": "high" if hit else "safe"}
    return results


def prompt_filter_results() -> list[dict[str, Any]]:
    return [{"prompt_index": 0, "content_filter_results": category_results(prompt=True)}]


class ContentFilterError(AzureError):
    """A prompt the content filter refuses."""

    def __init__(self, category: str) -> None:
        super().__init__(
            400, _PROMPT_REFUSED, error_type="content_filter", param="prompt", code="content_filter"
        )
        self.category = category

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": None,
                "param": self.param,
                "code": self.code,
                "status": self.status,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": category_results(self.category, prompt=True),
                },
            }
        }


def filtered_answer(answer: Answer, category: str | None) -> tuple[Answer, frozenset[int]]:
    """The answer with each text choice cut to its first half when the completion is filtered.

    Returns the indexes of the choices cut (their finish reason becomes `content_filter`).
    """
    if category is None:
        return answer, frozenset()
    completions: list[Completion] = []
    cut: set[int] = set()
    for index, completion in enumerate(answer.completions):
        if completion.text is None:
            completions.append(completion)
            continue
        tokens = split_tokens(completion.text)
        kept = tokens[: max(1, len(tokens) // 2)] if tokens else []
        completions.append(
            dataclasses.replace(
                completion,
                text="".join(kept),
                tokens=len(kept),
                stop_reason=StopReason.END,
                stop_sequence=None,
            )
        )
        cut.add(index)
    return dataclasses.replace(answer, completions=tuple(completions)), frozenset(cut)


def annotate_completion(body: dict[str, Any], cut: frozenset[int], category: str | None) -> dict[str, Any]:
    """A `chat.completion` body with Azure's prompt and choice annotations."""
    body["prompt_filter_results"] = prompt_filter_results()
    for choice in body["choices"]:
        if choice["index"] in cut:
            choice["finish_reason"] = "content_filter"
            choice["content_filter_results"] = category_results(category, prompt=False)
        else:
            choice["content_filter_results"] = category_results(prompt=False)
    return body


def annotate_frames(frames: Sequence[Frame], cut: frozenset[int], category: str | None) -> list[Frame]:
    """A chunk stream with Azure's opening prompt-filter chunk and choice annotations."""
    opening = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": prompt_filter_results(),
    }
    annotated = [Frame(_DATA + orjson.dumps(opening) + b"\n\n")]
    for frame in frames:
        chunk = orjson.loads(frame.data.removeprefix(_DATA))
        for choice in chunk["choices"]:
            finishing = choice["finish_reason"] is not None
            if finishing and choice["index"] in cut:
                choice["finish_reason"] = "content_filter"
                choice["content_filter_results"] = category_results(category, prompt=False)
            elif finishing or "role" in choice["delta"]:
                choice["content_filter_results"] = {}
            else:
                choice["content_filter_results"] = category_results(prompt=False)
        annotated.append(Frame(_DATA + orjson.dumps(chunk) + b"\n\n", frame.token))
    return annotated
