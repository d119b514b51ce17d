"""Every message between the coordinator and its workers survives the trip through a pipe."""

from __future__ import annotations

import pytest

from load_tests.messages import (
    AbuserReport,
    ClientPlan,
    Close,
    Closed,
    Done,
    Go,
    Message,
    ProtocolError,
    Ready,
    WorkerSpec,
    decode,
    decode_as,
    encode,
)

SPEC = WorkerSpec(
    url="http://127.0.0.1:9", kind="pairs", event="chat", chat_ids=True, lat_path="/tmp/w0.lat",
    seed=3,
    rate=2.5, duration=1.5, warmup=0.5, payload=120, candidates=4, sdp_bytes=900,
    flood_rate=150.0, drain=3.0, quiet=0.25, join_concurrency=7,
    clients=[
        ClientPlan(i=0, room="p0", role="offerer", at=0.25, peer=1,
                   auth={"token": "t0"}, join={"audio": False, "name": "c0"}),
        ClientPlan(i=1, room="p0", role="answerer", peer=0, auth=None, join={"room": "p0"}),
        ClientPlan(i=2, room="r0", role="abuser", abuse="oversized"),
    ],
)
ABUSER = AbuserReport(kind="flood", acks={"ok": 2, "rate_limited": 40}, no_ack=1,
                      disconnected=True, disconnect_reason="server", joined=True,
                      send_error="ConnectionResetError()")
MESSAGES: list[Message] = [
    SPEC,
    Ready(setup_s=0.5, ids={"0": "ab12", "1": "cd34"}, joined_rooms={"p0": 2},
          errors={"join:full": 1}, pid=4242),
    Go(start_at=1_800_000_000.25, ids={"0": "ab12", "1": "cd34", "7": "ef56"}),
    Done(cpu_s=1.5, wall_s=2.0, drained_s=0.75, sent_total=30, sent_measured=20,
         sent_measured_ok=19, sent_measured_refused=1, not_refused_by_room={"r0": 12},
         signals_not_refused=5, recv_by_room={"r0": 48}, recv_measured=40, recv_in_window=44,
         lat_count=40, errors={"ack:rate_limited": 1}, unexpected_disconnects=0,
         abuse_delivered=2, other_events={"participant_joined": 3}, loop_lag_p99=0.002,
         loop_lag_max=0.01, send_lag_p99=0.001, send_lag_max=0.004,
         pair_done={"p0/offerer": 12.5}, join_lat=[0.01, 0.02], pj_lat=[1500, 2500],
         joined_rooms={"r0": 4}, abuse={"2": ABUSER}),
    Done(crash="Traceback (most recent call last): ...", errors={"worker:ValueError()": 1}),
    Close(),
    Closed(),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message: Message) -> None:
    line = encode(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == message
    assert decode_as(line, type(message)) == message


def test_the_spec_carries_typed_client_plans() -> None:
    spec = decode_as(encode(SPEC), WorkerSpec)
    assert all(isinstance(c, ClientPlan) for c in spec.clients)
    assert spec.clients[0].peer == 1 and spec.clients[2].abuse == "oversized"


def test_an_unexpected_or_unknown_message_is_refused() -> None:
    with pytest.raises(ProtocolError, match="expected Done, got Ready"):
        decode_as(encode(MESSAGES[1]), Done)
    with pytest.raises(ProtocolError, match="not a load-test message"):
        decode(b'{"phase": "ready"}\n')
