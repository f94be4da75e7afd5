"""Encoder for the `application/vnd.amazon.eventstream` framing that Bedrock streams use.

botocore ships only a decoder (`botocore.eventstream.EventStreamBuffer`); the tests decode what this
writes with it. A message is: prelude (total length u32, headers length u32, CRC32 of those eight
bytes), headers (name length u8, name, type 7 = string, value length u16, value), payload, and a
CRC32 of everything before it. All integers are big-endian.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

_STRING = 7


@lru_cache(maxsize=256)
def _header(name: str, value: str) -> bytes:
    name_bytes = name.encode()
    value_bytes = value.encode()
    return (
        struct.pack(">B", len(name_bytes))
        + name_bytes
        + struct.pack(">BH", _STRING, len(value_bytes))
        + value_bytes
    )


def encode_message(headers: tuple[tuple[str, str], ...], payload: bytes) -> bytes:
    """Frame one event-stream message."""
    header_bytes = b"".join(_header(name, value) for name, value in headers)
    total_length = 12 + len(header_bytes) + len(payload) + 4
    prelude = struct.pack(">II", total_length, len(header_bytes))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


def encode_event(event_type: str, payload: bytes) -> bytes:
    """An `event` message, as Bedrock sends for `chunk` and for every ConverseStream event."""
    return encode_message(
        (
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ),
        payload,
    )


def encode_exception(exception_type: str, payload: bytes) -> bytes:
    """An `exception` message: what Bedrock sends when a stream fails after it has started."""
    return encode_message(
        (
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ),
        payload,
    )
