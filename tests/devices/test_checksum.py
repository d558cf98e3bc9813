from __future__ import annotations

from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from devices import checksum


def test_verify_known_sentences():
    assert checksum.verify("$GPHDT,274.07,T*03")
    assert checksum.verify("$GPHDT,274.07,T*03\r\n")
    assert checksum.verify("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C")
    assert not checksum.verify("$GPHDT,274.07,T*04")
    assert not checksum.verify("$GPHDT,274.07,T")
    assert not checksum.verify("$GPHDT,274.07,T*ZZ")
    assert not checksum.verify("")


def test_lower_case_hex_is_accepted():
    assert checksum.verify("$GNVTG,,,,,,,,,N*2e")


def test_append_and_split():
    line = checksum.append("GPHDT,274.07,T")
    assert line == "$GPHDT,274.07,T*03"
    assert checksum.split(line) == ("GPHDT,274.07,T", "03")
    assert checksum.split("$GPHDT,274.07,T") == ("GPHDT,274.07,T", None)
    assert checksum.append("AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0", "!").endswith("*5C")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
def test_xor_matches_the_definition(body):
    assert checksum.xor(body) == reduce(lambda a, b: a ^ b, body.encode(), 0)
