"""JT/T 808 (道路运输车辆卫星定位系统 终端通讯协议), 2011, 2013 and 2019 editions: the protocol of
Chinese road-transport terminals, construction-waste trucks among them.

- `framing`: 0x7E flags, 0x7D escapes, XOR check code, cutting a stream into frames.
- `header`: the 2011/2013 and 2019 headers, BCD phone numbers, Beijing-time stamps.
- `messages`: typed records; `bits`: alarm/status names; `location`: the position body.
- `bodies`: body decoders by message id; `decoder`: `decode_frame` and `Jt808Stream`.
- `encode`: platform downlink and terminal uplink frames; `report`: messages as JSON objects.
"""

from devices.jt808.decoder import Jt808Stream, decode_frame, decode_hex, parse_frame
from devices.jt808.header import Header, phone_key
from devices.jt808.messages import Location, Message, locations_of, source_key

__all__ = ["Header", "Jt808Stream", "Location", "Message", "decode_frame", "decode_hex", "locations_of",
           "parse_frame", "phone_key", "source_key"]
