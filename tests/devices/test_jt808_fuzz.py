"""Every message body the decoder knows, given bytes a terminal (or an attacker) could send: a typed record or a
typed `DeviceError` (a body that does not fit its message), never another exception that would reach the gateway
as a failure of its reader. Random bytes seldom get past a body's first check, so the messages of
`devices.jt808.extra` (counts, lengths, GZIP, GBK text) are also given good bodies with a few bytes changed, cut or
put in."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import DeviceError
from devices.jt808 import encode, extra
from devices.jt808.bodies import DECODERS
from devices.jt808.decoder import decode_frame

EXTRA_BODIES = {
    encode.CAN_BUS_DATA: extra.can_bus_data_body(time(12, 30, 45, 123000), [
        extra.CanItem(1, False, False, 0x123, bytes(range(8))), extra.CanItem(2, True, True, 0x18FEF100, bytes(8))]),
    encode.COMPRESSED_DATA: extra.compressed_data_body(b"$OBD-RT,12.3,45.6\r\n" * 4),
    encode.TERMINAL_RSA_KEY: extra.rsa_key_body(65537, (1 << 1023) + 12345),
    encode.PLATFORM_RSA_KEY: extra.rsa_key_body(3, (1 << 1023) + 54321),
    encode.EVENT_REPORT: extra.event_report_body(1),
    encode.QUESTION_ANSWER: extra.question_answer_body(42, 1),
    encode.INFO_DEMAND: extra.info_demand_body(2),
    encode.EVENT_SETTING: extra.event_setting_body(2, [(1, "堵车"), (2, "事故")]),
    encode.QUESTION: extra.question_body("到场了吗", [(1, "是"), (2, "否")], urgent=True),
}
# (where, byte, what): "s" sets the byte there, "c" cuts the body there, "i" puts the byte in there
EDITS = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255), st.sampled_from("sci")), min_size=1, max_size=4)


def test_the_extra_messages_are_fuzzed():
    assert set(EXTRA_BODIES) <= set(DECODERS)


@pytest.mark.parametrize("edition", [2013, 2019])
@settings(max_examples=400, deadline=None)
@given(msg_id=st.sampled_from(sorted(DECODERS)), body=st.binary(max_size=300))
def test_any_body_of_any_known_message_is_a_record_or_a_typed_error(edition: int, msg_id: int, body: bytes) -> None:
    try:
        m = decode_frame(encode.frame(msg_id, "013912345678", 7, body, edition=edition))
    except DeviceError:
        return
    assert m.header.msg_id == msg_id


@pytest.mark.parametrize("edition", [2013, 2019])
@settings(max_examples=400, deadline=None)
@given(msg_id=st.sampled_from(sorted(EXTRA_BODIES)), edits=EDITS)
def test_good_bodies_of_the_extra_messages_changed_are_records_or_typed_errors(
        edition: int, msg_id: int, edits: list[tuple[int, int, str]]) -> None:
    body = bytearray(EXTRA_BODIES[msg_id])
    for where, byte, what in edits:
        at = where % (len(body) + 1)
        if what == "c":
            del body[at:]
        elif what == "i" or at == len(body):
            body.insert(at, byte)
        else:
            body[at] = byte
    try:
        m = decode_frame(encode.frame(msg_id, "013912345678", 7, bytes(body), edition=edition))
    except DeviceError:
        return
    assert m.header.msg_id == msg_id
