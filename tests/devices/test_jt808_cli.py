"""`python main.py decode --jt808`: one JSON object per message, one error line per bad frame."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from devices.jt808 import encode
from tests.devices.jt808_frames import LOCATION_BODY, LOCATION_FIXED, PHONE_2013, PHONE_2019, frame, raw

ROOT = Path(__file__).resolve().parents[2]
REPORT = frame("0200 0035", PHONE_2013, "0007", LOCATION_BODY)
BATCH = frame("0704 003F", PHONE_2013, "0009",
              "00 02 01 00 1C" + LOCATION_FIXED + "00 1C" + LOCATION_FIXED.replace("00 05", "00 15"))
REPORT_2019 = frame("0200 4035 01", PHONE_2019, "0008", LOCATION_BODY)


def decode(data: bytes, *args: str) -> tuple[list[dict], str]:
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "decode", "--jt808", *args], input=data,
                       capture_output=True, cwd=ROOT, timeout=60, check=True)
    return [json.loads(line) for line in p.stdout.decode().splitlines()], p.stderr.decode()


def test_hex_lines_with_errors_in_between(tmp_path):
    lines = [REPORT.hex(), "# a comment", "", BATCH.hex(" "), "7e 00 02 zz", frame("0002 0000", PHONE_2013, "0001",
             check=1).hex(), REPORT_2019.hex().upper()]
    path = tmp_path / "frames.hex"
    path.write_text("\n".join(lines) + "\n")
    objs, err = decode(b"", str(path))
    assert len(objs) == 5
    first = objs[0]
    assert first["id"] == "0x0200" and first["phone"] == "013912345678" and first["serial"] == 7
    assert (first["lat"], first["lon"], first["time"], first["speed"], first["course"]) == (
        24.3264, 109.4281, "2024-11-26T12:00:05Z", 45.6, 275)
    assert first["alarms"] == ["emergency", "overspeed"] and first["status"] == ["acc_on", "positioned", "gps", "beidou"]
    assert first["extras"]["mileage_km"] == 12345.6 and first["extras"]["raw"] == [{"id": "0xE1", "data": "aa7e7d"}]
    batch = objs[1]
    assert batch["id"] == "0x0704" and batch["blind_area"] is True
    assert [p["time"] for p in batch["positions"]] == ["2024-11-26T12:00:05Z", "2024-11-26T12:00:15Z"]
    assert objs[2]["error"] == "malformed" and "not hex" in objs[2]["message"]
    assert objs[3]["error"] == "checksum" and objs[3]["raw"].startswith("0002")
    assert objs[4]["phone"] == "00000000013912345678" and objs[4]["edition"] == 2019 and objs[4]["lat"] == 24.3264
    assert "5 frames, 3 messages" in err and "1 check code" in err


def test_raw_bytes_on_stdin_with_a_split_message():
    body = encode.batch_body([raw(LOCATION_BODY)] * 30)
    split = b"".join(encode.frames(encode.LOCATION_BATCH, "013912345678", 40, body))
    data = b"\x00\x01noise" + REPORT + split + frame("0F99 0000", PHONE_2013, "0002") + REPORT[:30]
    objs, err = decode(data, "-")
    assert [o.get("id") for o in objs] == ["0x0200", "0x0704", "0x0F99", None]
    assert len(objs[1]["positions"]) == 30 and objs[1]["serial"] == 40 and objs[1]["packages"] == 2
    assert objs[2]["error"] == "unknown" and objs[2]["serial"] == 2
    assert objs[3]["error"] == "truncated"
    assert "7 bytes outside frames" in err


def test_a_photo_is_said_by_its_hash_and_position_not_its_bytes():
    """0x0801 in packages: one line for the joined photo with its media id, size and SHA-256 (the bytes stay out
    of the JSON), and the 0x0805 answer with its media ids."""
    import hashlib

    photo = b"\xff\xd8" + bytes(range(256)) * 12 + b"\xff\xd9"
    body = encode.media_upload_body(9, photo, location=raw(LOCATION_BODY), event=4, channel=2)
    split = b"".join(encode.frames(encode.MEDIA_UPLOAD, "013912345678", 50, body))
    answer = encode.frame(encode.CAMERA_SHOT_REPLY, "013912345678", 60, encode.camera_reply_body(7, 0, (9,)))
    objs, _err = decode(split + answer, "-")
    assert [o["id"] for o in objs] == ["0x0801", "0x0805"]
    p = objs[0]
    assert (p["media_id"], p["event"], p["channel"], p["mime"], p["bytes"]) == (9, "door_opened", 2, "image/jpeg",
                                                                               len(photo))
    assert p["sha256"] == hashlib.sha256(photo).hexdigest() and p["time"] == "2024-11-26T12:00:05Z"
    assert objs[1]["media_ids"] == [9] and objs[1]["result"] == "ok"
