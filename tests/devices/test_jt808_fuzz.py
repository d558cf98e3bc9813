"""Every message body the decoder knows, given bytes a terminal (or an attacker) could send: a typed record or a
typed `DeviceError` (a body that does not fit its message), never another exception that would reach the gateway
as a failure of its reader."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import DeviceError
from devices.jt808 import encode
from devices.jt808.bodies import DECODERS
from devices.jt808.decoder import decode_frame


@pytest.mark.parametrize("edition", [2013, 2019])
@settings(max_examples=400, deadline=None)
@given(msg_id=st.sampled_from(sorted(DECODERS)), body=st.binary(max_size=300))
def test_any_body_of_any_known_message_is_a_record_or_a_typed_error(edition: int, msg_id: int, body: bytes) -> None:
    try:
        m = decode_frame(encode.frame(msg_id, "013912345678", 7, body, edition=edition))
    except DeviceError:
        return
    assert m.header.msg_id == msg_id
