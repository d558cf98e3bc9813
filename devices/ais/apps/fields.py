"""The little table language the application-specific (type 6/8) payloads are described in.

A message is an `App`: its members in gpsd's order, each an `F` (one JSON member read
from the bits at an offset), an `Array` (a list of objects of `F`s, as many as the
payload length holds) or a `Custom` step (members that depend on other members). An
`F`'s conversion is a function ``(bits, offset, width) -> value``; the ones here build
the usual kinds (integers, flags, six-bit text, scaled numbers with gpsd's ``printf``
decimals, code legends). Offsets are from the start of the whole payload (type, repeat,
MMSI ... included), as the public layout tables count them; inside an `Array`, from the
start of the element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devices.ais.bits import Bits

Conv = Callable[[Bits, int, int], object]


@dataclass(frozen=True, slots=True)
class F:
    """One member: ``name`` from ``width`` bits at ``off`` through ``conv``."""

    name: str
    off: int
    width: int
    conv: Conv


@dataclass(frozen=True, slots=True)
class Array:
    """A list member: elements of ``stride`` bits from ``off``; ``count(bits)`` of them."""

    name: str
    off: int
    stride: int
    fields: tuple[F | Custom, ...]
    count: Callable[[Bits], int]


@dataclass(frozen=True, slots=True)
class Custom:
    """Members written by a function ``(bits, dict, base offset)`` (fields that depend on others).

    ``spans`` names the (offset, width) pieces it reads, for tests that poke every field.
    """

    fill: Callable[[Bits, dict[str, object], int], None]
    spans: tuple[tuple[int, int], ...] = ()


Entry = F | Array | Custom


@dataclass(frozen=True, slots=True)
class App:
    """One application-specific message: its title, members, and the payload lengths gpsd decodes.

    ``sizes`` None: any length (bits past the end read as zeros); otherwise only those
    whole-message lengths, the others stay raw ``data`` as gpsd leaves them. ``valid``: gpsd's
    range checks; a payload failing them is not taken for this application (raw ``data``).
    """

    title: str
    entries: tuple[Entry, ...]
    sizes: frozenset[int] | None = None
    valid: Callable[[Bits], bool] | None = None

    def accepts(self, p: Bits) -> bool:
        return (self.sizes is None or p.n in self.sizes) and (self.valid is None or self.valid(p))


def fill(entries: Sequence[Entry], p: Bits, d: dict[str, object], base: int = 0) -> None:
    """Write the members of ``entries`` into ``d``, reading at ``base`` + each offset."""
    for e in entries:
        if type(e) is F:
            d[e.name] = e.conv(p, base + e.off, e.width)
        elif type(e) is Array:
            start = base + e.off
            items: list[dict[str, object]] = []
            for k in range(max(0, e.count(p))):
                item: dict[str, object] = {}
                fill(e.fields, p, item, start + k * e.stride)
                items.append(item)
            d[e.name] = items
        else:
            e.fill(p, d, base)  # type: ignore[union-attr]


def spans(entries: Sequence[Entry]) -> list[tuple[int, int]]:
    """The (offset, width) of every field the entries read (array elements: the first one)."""
    out: list[tuple[int, int]] = []
    for e in entries:
        if type(e) is F:
            out.append((e.off, e.width))
        elif type(e) is Array:
            out += [(e.off + off, w) for off, w in spans(e.fields)]
        else:
            out += list(e.spans)  # type: ignore[union-attr]
    return out


# --- conversions --------------------------------------------------------------------------


def u(p: Bits, off: int, width: int) -> int:
    return p.u(off, width)


def i(p: Bits, off: int, width: int) -> int:
    return p.i(off, width)


def b(p: Bits, off: int, width: int) -> bool:
    return p.b(off)


def text(p: Bits, off: int, width: int) -> str:
    """Six-bit text of ``width // 6`` characters, up to the first '@', trailing blanks dropped."""
    return p.text(off, width // 6)


def raw_text(p: Bits, off: int, width: int) -> str:
    """Six-bit text up to the first '@', trailing blanks kept."""
    return p.raw_text(off, width // 6)


def scaled(div: float, places: int, *, signed: bool = False, add: float = 0.0) -> Conv:
    """``raw / div + add`` printed with ``places`` decimals, as gpsd's ``%.Nf``."""

    def conv(p: Bits, off: int, width: int) -> float:
        raw = p.i(off, width) if signed else p.u(off, width)
        return float(f"{raw / div + add:.{places}f}")

    return conv


def plus(add: int, *, signed: bool = False) -> Conv:
    """A whole number with an offset (``raw + add``)."""

    def conv(p: Bits, off: int, width: int) -> int:
        return (p.i(off, width) if signed else p.u(off, width)) + add

    return conv


def legend(table: Sequence[str], default: str = "") -> Conv:
    """The text for a code; ``default`` past the end of the table."""

    def conv(p: Bits, off: int, width: int) -> str:
        code = p.u(off, width)
        return table[code] if code < len(table) else default

    return conv
