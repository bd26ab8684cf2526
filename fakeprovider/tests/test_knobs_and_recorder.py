"""Knob validation and scoping, deterministic fault scheduling and the recorder's capacity."""

from __future__ import annotations

import httpx
import pytest

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.faults import FaultPlanner, fault_applies
from aigw_fakeprovider.knobs import FaultKind, KnobBoard, KnobError, Knobs, parse_knob_changes
from aigw_fakeprovider.recorder import RequestRecorder


@pytest.mark.parametrize(
    ("rate", "failing"),
    [(1.0, [1, 2, 3, 4, 5, 6]), (0.5, [2, 4, 6]), (1 / 3, [3, 6]), (0.1, []), (0.0, [])],
)
def test_fault_rate_is_a_deterministic_schedule(rate: float, failing: list[int]) -> None:
    assert [n for n in range(1, 7) if fault_applies(n, rate)] == failing


def test_a_rate_of_one_tenth_fails_exactly_every_tenth_request() -> None:
    assert [n for n in range(1, 31) if fault_applies(n, 0.1)] == [10, 20, 30]


def test_planner_counts_each_scope_separately_and_restarts() -> None:
    board = KnobBoard(Knobs(fault=FaultKind.SERVER_ERROR, fault_rate=0.5))
    board.change({"fault_rate": 0.5}, model="own")
    planner = FaultPlanner(board)

    default_faults = [planner.plan("a").fault for _ in range(2)]
    own_faults = [planner.plan("own").fault for _ in range(2)]
    planner.restart()

    assert default_faults == [FaultKind.NONE, FaultKind.SERVER_ERROR]
    assert own_faults == [FaultKind.NONE, FaultKind.SERVER_ERROR]
    assert planner.plan("a").fault is FaultKind.NONE


def test_drop_plans_carry_the_chunk_count() -> None:
    planner = FaultPlanner(KnobBoard(Knobs(fault=FaultKind.DROP, drop_after_chunks=5)))

    assert planner.plan(None).drop_after_chunks == 5


def test_knob_changes_are_validated_and_typed() -> None:
    assert parse_knob_changes({"fault": 429, "latency_ms": 5}) == {
        "fault": FaultKind.RATE_LIMITED,
        "latency_ms": 5.0,
    }
    with pytest.raises(KnobError, match="unknown knob"):
        parse_knob_changes({"latency": 5})
    with pytest.raises(KnobError, match="fault_rate"):
        parse_knob_changes({"fault_rate": True})


def test_model_knobs_override_only_what_they_set() -> None:
    board = KnobBoard(Knobs(latency_ms=10))
    board.change({"ttft_ms": 5}, model="m")
    board.change({"latency_ms": 20})

    assert board.for_model("m") == Knobs(latency_ms=20, ttft_ms=5)
    assert board.for_model("other") == Knobs(latency_ms=20)
    board.reset()
    assert board.for_model("m") == Knobs(latency_ms=10)


def test_recorder_keeps_only_the_most_recent_thousand() -> None:
    recorder = RequestRecorder()
    for number in range(1005):
        recorder.record(Request("POST", f"/r/{number}", {}, b""))

    recorded = recorder.recorded()

    assert len(recorded) == 1000
    assert recorded[0]["path"] == "/r/5"
    assert recorded[-1]["path"] == "/r/1004"


async def test_test_images_are_valid_pngs_that_differ_by_name_and_are_not_recorded(
    http: httpx.AsyncClient,
) -> None:
    first = await http.get("/_fake/images/cat.png")
    again = await http.get("/_fake/images/cat.png")
    other = await http.get("/_fake/images/dog.png")

    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert first.content == again.content != other.content
    assert (await http.get("/_fake/requests")).json() == []
