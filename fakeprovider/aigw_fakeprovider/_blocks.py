"""Content blocks, as Anthropic Messages and Bedrock Converse carry a message, and the turns they make.

Both APIs give a message's content as a list of typed blocks: text, images,
the assistant's tool calls, the user's tool results, and kinds the answer
ignores (documents, thinking, ...). Each protocol validates its own blocks
into `Block`s, named as Anthropic names them (`text`, `image`, `tool_use`,
`tool_result`); `answer_turns` makes the turns `answers.py` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aigw_fakeprovider.answers import Role, Turn


@dataclass(frozen=True, slots=True)
class Block:
    """One validated content block: what the answer needs from it."""

    kind: str
    text: str = ""
    images: int = 0
    tool_id: str | None = None
    """The id a tool_use block declares, or the id a tool_result block answers."""


def answer_turns(turns: Iterable[tuple[str, Sequence[Block]]]) -> list[Turn]:
    """The (role, blocks) turns as `answers.py` sees them: each tool result is a turn of its own.

    An assistant turn is its text; a user turn is its tool results, then one
    turn with the rest of its text and its images.
    """
    result: list[Turn] = []
    for role, blocks in turns:
        if role == "assistant":
            result.append(Turn(Role.ASSISTANT, " ".join(b.text for b in blocks if b.kind == "text")))
            continue
        result.extend(Turn(Role.TOOL, b.text) for b in blocks if b.kind == "tool_result")
        said = [b for b in blocks if b.kind != "tool_result"]
        if said:
            text = " ".join(b.text for b in said if b.kind == "text")
            result.append(Turn(Role.USER, text, sum(b.images for b in said)))
    return result
