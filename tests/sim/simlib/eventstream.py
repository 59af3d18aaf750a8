"""Encoder for the AWS event-stream framing (application/vnd.amazon.eventstream).

A frame, all integers big-endian:

    total_length:u32  headers_length:u32  prelude_crc:u32  headers  payload  message_crc:u32

``prelude_crc`` is CRC-32 (IEEE) of the first 8 bytes, ``message_crc`` CRC-32 of
everything before it. Each header is ``name_len:u8 name type:u8 value``. The
encoder supports every header type (0-9) so that the shared conformance frames
round-trip byte for byte; the simulator itself only sends string headers.
"""

import json
import struct
import zlib
from typing import NamedTuple, Sequence

BOOL_TRUE, BOOL_FALSE, BYTE, INT16, INT32, INT64, BYTE_ARRAY, STRING, TIMESTAMP, UUID = range(10)

_FIXED_WIDTH = {BYTE: ">b", INT16: ">h", INT32: ">i", INT64: ">q", TIMESTAMP: ">q"}
_PRELUDE_BYTES = 12
_CRC_BYTES = 4


class Header(NamedTuple):
    """One event-stream header: its name, type code and Python value.

    Values: bool for types 0/1, int for 2-5 and 8 (milliseconds), bytes for 6
    and 9 (exactly 16 bytes), str for 7.
    """

    name: str
    type: int
    value: object


def string_header(name: str, value: str) -> Header:
    """Shorthand for a type-7 (UTF-8 string) header."""
    return Header(name, STRING, value)


def _encode_header(header: Header) -> bytes:
    name = header.name.encode("utf-8")
    if not 0 < len(name) < 256:
        raise ValueError(f"header name length out of range: {header.name!r}")
    out = bytes([len(name)]) + name + bytes([header.type])
    if header.type in (BOOL_TRUE, BOOL_FALSE):
        return out
    if header.type in _FIXED_WIDTH:
        return out + struct.pack(_FIXED_WIDTH[header.type], header.value)
    if header.type in (BYTE_ARRAY, STRING):
        raw = header.value.encode("utf-8") if header.type == STRING else bytes(header.value)
        if len(raw) > 0xFFFF:
            raise ValueError(f"header value too long: {header.name!r}")
        return out + struct.pack(">H", len(raw)) + raw
    if header.type == UUID:
        if len(header.value) != 16:
            raise ValueError(f"UUID header needs 16 bytes: {header.name!r}")
        return out + bytes(header.value)
    raise ValueError(f"unknown header type {header.type}")


def encode_message(headers: Sequence[Header], payload: bytes) -> bytes:
    """Encode one complete frame, headers in the order given."""
    encoded_headers = b"".join(_encode_header(h) for h in headers)
    total_length = _PRELUDE_BYTES + len(encoded_headers) + len(payload) + _CRC_BYTES
    prelude = struct.pack(">II", total_length, len(encoded_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + encoded_headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event_message(event_type: str, payload: dict) -> bytes:
    """An ``event`` frame carrying a JSON payload, as Bedrock sends them."""
    headers = [
        string_header(":event-type", event_type),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "event"),
    ]
    return encode_message(headers, json.dumps(payload, separators=(",", ":")).encode())


def exception_message(exception_type: str, message: str) -> bytes:
    """An ``exception`` frame (a modelled error delivered inside the stream)."""
    headers = [
        string_header(":exception-type", exception_type),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "exception"),
    ]
    return encode_message(headers, json.dumps({"message": message}).encode())


def corrupt_message_crc(frame: bytes) -> bytes:
    """The same frame with its trailing message CRC inverted (fault injection)."""
    (crc,) = struct.unpack(">I", frame[-_CRC_BYTES:])
    return frame[:-_CRC_BYTES] + struct.pack(">I", crc ^ 0xFFFFFFFF)
