from __future__ import annotations

from pathlib import Path

import pytest

from aigw_runtime.sse import SseDecoder, SseEvent, encode_data

FIXTURES = Path(__file__).parent / "fixtures"


def test_events_split_across_reads_come_out_whole() -> None:
    decoder = SseDecoder()
    stream = b'data: {"a":1}\n\ndata: {"b"' + b":2}\n\n: comment\n\ndata: [DONE]\n\n"

    events = [event for i in range(0, len(stream), 3) for event in decoder.feed(stream[i : i + 3])]

    assert [e.data for e in events] == [b'{"a":1}', b'{"b":2}', b"[DONE]"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_of_the_spec_is_understood(newline: bytes) -> None:
    raw = b"event: ping" + newline + b"data: x" + newline + b"data: y" + newline + newline
    # The next event's first byte settles whether a trailing CR was half of a CRLF.
    assert SseDecoder().feed(raw + b"data") == [SseEvent(data=b"x\ny", event="ping")]


def test_a_cr_at_the_end_of_a_read_waits_for_its_lf() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\n\r\n") == [SseEvent(data=b"x")]


def test_encoding_frames_like_openai() -> None:
    assert encode_data(b'{"x":1}') == b'data: {"x":1}\n\n'


def test_a_recorded_openai_stream_decodes_to_its_chunks() -> None:
    raw = (FIXTURES / "openai_stream_usage.sse").read_bytes()

    events = SseDecoder().feed(raw)

    assert events[-1].data == b"[DONE]"
    assert all(e.data.startswith(b'{"id":"chatcmpl-') for e in events[:-1])
    assert b'"choices":[]' in events[-2].data
