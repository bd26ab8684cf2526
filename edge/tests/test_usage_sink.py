"""Usage events survive a metering outage: spooled to disk, replayed later, never lost or doubled."""

from __future__ import annotations

from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from aigw.common.v1 import common_pb2
from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_edge.usage_sink import UsageSink
from edge_services import MeteringServer


def _event(i: int) -> metering_pb2.UsageEvent:
    return metering_pb2.UsageEvent(
        request_id=f"req_{i}",
        key_id="key_1",
        model="chat",
        status_code=200,
        usage=common_pb2.Usage(prompt_tokens=2, completion_tokens=3, total_tokens=5),
        created_at=Timestamp(seconds=1),
    )


async def _total(stub: metering_pb2_grpc.MeteringServiceStub) -> int:
    summary = await stub.GetUsageSummary(metering_pb2.GetUsageSummaryRequest(key_id="key_1"))
    return sum(t.requests for t in summary.totals)


async def test_events_spooled_while_metering_is_down_are_replayed_once_it_is_back(
    tmp_path: Path, socket_dir: Path
) -> None:
    address = f"unix:{socket_dir}/metering.sock"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = metering_pb2_grpc.MeteringServiceStub(channel)
        sink = UsageSink(stub, tmp_path / "spool")
        for i in range(30):
            sink.record(_event(i))
        await sink.flush()  # nobody listens yet
        spooled = sink.spooled_files()

        metering = MeteringServer(tmp_path, address)
        await metering.start()
        await channel.channel_ready()
        await sink.replay_spool()
        sink.record(_event(3))  # a duplicate request id is stored once
        await sink.close()
        total = await _total(stub)
        await metering.stop()

    assert len(spooled) == 1
    assert sink.spooled_files() == []
    assert total == 30


async def test_close_sends_what_is_pending(tmp_path: Path, socket_dir: Path) -> None:
    address = f"unix:{socket_dir}/metering.sock"
    metering = MeteringServer(tmp_path, address)
    await metering.start()
    async with grpc.aio.insecure_channel(address) as channel:
        stub = metering_pb2_grpc.MeteringServiceStub(channel)
        sink = UsageSink(stub, tmp_path / "spool")
        for i in range(7):
            sink.record(_event(100 + i))
        await sink.close()
        total = await _total(stub)
    await metering.stop()

    assert total == 7 and sink.spooled_files() == []


async def test_a_corrupt_spool_file_is_set_aside_not_retried_forever(
    tmp_path: Path, socket_dir: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "usage-1-deadbeef.pb").write_bytes(b"\xff\xff not protobuf")
    async with grpc.aio.insecure_channel(f"unix:{socket_dir}/none.sock") as channel:
        sink = UsageSink(metering_pb2_grpc.MeteringServiceStub(channel), spool)
        await sink.replay_spool()

    assert sink.spooled_files() == [] and (spool / "usage-1-deadbeef.bad").exists()
