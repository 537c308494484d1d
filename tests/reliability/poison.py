"""A seeded generator of product records, a third of them garbage of every kind for the DLQ."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

_Maker = Callable[[random.Random, int], bytes]


@dataclass(frozen=True)
class Record:
    kind: str
    value: bytes
    name: str = ""
    """The product's name for a valid record (unique), empty for garbage."""

    @property
    def valid(self) -> bool:
        return self.kind == "valid"


def _name(index: int) -> str:
    return f"flood-{index:05d} caf\u00e9 \U0001f600"


def _random_bytes(chance: random.Random, _: int) -> bytes:
    # 0xff never occurs in UTF-8, so these bytes are garbage whatever follows.
    return b"\xff" + chance.randbytes(chance.randint(0, 300))


def _truncated_utf8(chance: random.Random, index: int) -> bytes:
    whole = json.dumps({"name": _name(index), "price": 1}, ensure_ascii=False).encode()
    cut = whole.index("\U0001f600".encode()) + chance.randint(1, 3)
    return whole[:cut]


def _not_an_object(chance: random.Random, _: int) -> bytes:
    return chance.choice([b"[]", b'["name", 1]', b'"a string"', b"42", b"null", b"true", b""])


def _wrong_types(chance: random.Random, index: int) -> bytes:
    bodies = [
        {"name": 42, "price": 1},
        {"name": ["x"], "price": 1},
        {"name": None, "price": 1},
        {"name": True, "price": 1},
        {"name": _name(index), "price": "10"},
        {"name": _name(index), "price": True},
        {"name": _name(index), "price": [1]},
        {"name": _name(index), "price": {"amount": 1}},
        {"price": 1},
        {"name": _name(index)},
        {"name": "   ", "price": 1},
    ]
    return json.dumps(chance.choice(bodies)).encode()


def _huge_name(chance: random.Random, _: int) -> bytes:
    return json.dumps({"name": "n" * chance.randint(256, 50_000), "price": 1}).encode()


def _negative_price(chance: random.Random, index: int) -> bytes:
    price = chance.choice(["-1", "-0.01", "-99999999.99", "-1e3"])
    return f'{{"name": "{_name(index)}", "price": {price}}}'.encode()


def _not_finite_price(chance: random.Random, index: int) -> bytes:
    price = chance.choice(["NaN", "Infinity", "-Infinity"])
    return f'{{"name": "{_name(index)}", "price": {price}}}'.encode()


def _over_precise_price(chance: random.Random, index: int) -> bytes:
    price = chance.choice(["1.001", "0.125", "10.999999999999999999", "1e-7", "3.14159"])
    return f'{{"name": "{_name(index)}", "price": {price}}}'.encode()


def _too_large_price(chance: random.Random, index: int) -> bytes:
    price = chance.choice(["100000000", "1e8", "1e999999", "9" * chance.randint(10, 10_000)])
    return f'{{"name": "{_name(index)}", "price": {price}}}'.encode()


def _broken_text(chance: random.Random, _: int) -> bytes:
    """Valid UTF-8 and valid JSON, but a name that is no Unicode text: a lone surrogate escape."""
    surrogate = chance.choice(["\\ud800", "\\udfff", "x\\ud83d"])
    return f'{{"name": "{surrogate}", "price": 1}}'.encode()


def _deeply_nested(chance: random.Random, _: int) -> bytes:
    depth = chance.randint(1_000, 100_000)
    return b"[" * depth + b"]" * depth


GARBAGE: dict[str, _Maker] = {
    "random bytes": _random_bytes,
    "truncated UTF-8": _truncated_utf8,
    "not an object": _not_an_object,
    "wrong types": _wrong_types,
    "huge name": _huge_name,
    "negative price": _negative_price,
    "NaN or infinite price": _not_finite_price,
    "over-precise price": _over_precise_price,
    "too large price": _too_large_price,
    "lone surrogate name": _broken_text,
    "deeply nested": _deeply_nested,
}


def flood(count: int, seed: int) -> list[Record]:
    """`count` records, every third garbage (each kind in turn, details drawn from `seed`)."""
    chance = random.Random(seed)
    kinds = list(GARBAGE)
    records = []
    for index in range(count):
        if index % 3 == 2:
            kind = kinds[(index // 3) % len(kinds)]
            records.append(Record(kind, GARBAGE[kind](chance, index)))
        else:
            price = f"{chance.randint(0, 99_999_999)}.{chance.randint(0, 99):02d}"
            name = _name(index)
            value = f'{{"name": {json.dumps(name)}, "price": {price}}}'.encode()
            records.append(Record("valid", value, name))
    return records
