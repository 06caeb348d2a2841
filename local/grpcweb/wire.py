"""gRPC-Web framing (grpc/grpc doc/PROTOCOL-WEB.md): 5-byte frames, trailer blocks, base64 text."""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Iterable

DATA = 0x00
COMPRESSED = 0x01
TRAILERS = 0x80
HEADER = struct.Struct(">BI")
_PADDED_CHUNK = re.compile(rb"[^=]*=*")


class FrameError(ValueError):
    """The body is not a well-formed sequence of gRPC-Web frames."""


def encode_frame(payload: bytes, flag: int = DATA) -> bytes:
    """One frame: flag byte, 4-byte big-endian length, payload."""
    return HEADER.pack(flag, len(payload)) + payload


def parse_frames(body: bytes) -> list[tuple[int, bytes]]:
    """Split a body into (flag, payload) frames."""
    frames = []
    offset = 0
    while offset < len(body):
        if len(body) - offset < HEADER.size:
            raise FrameError(f"truncated frame header at byte {offset}")
        flag, length = HEADER.unpack_from(body, offset)
        offset += HEADER.size
        if len(body) - offset < length:
            raise FrameError(f"frame at byte {offset - HEADER.size} needs {length} bytes")
        frames.append((flag, body[offset : offset + length]))
        offset += length
    return frames


def request_message(body: bytes) -> bytes:
    """The single request message of a unary or server-streaming call."""
    data = [payload for flag, payload in parse_frames(body) if not flag & TRAILERS]
    if len(data) > 1:
        raise FrameError("only one request message is supported (no client streaming)")
    if any(flag & COMPRESSED for flag, _ in parse_frames(body)):
        raise FrameError("compressed request frames are not supported")
    return data[0] if data else b""


def decode_text(body: bytes) -> bytes:
    """Decode a -text body; each base64 chunk may carry its own padding."""
    compact = b"".join(body.split())
    try:
        return b"".join(
            base64.b64decode(chunk, validate=True)
            for chunk in _PADDED_CHUNK.findall(compact)
            if chunk
        )
    except binascii.Error as exc:
        raise FrameError(f"invalid base64 body: {exc}") from exc


def percent_encode(message: str) -> str:
    """grpc-message encoding: printable ASCII except '%' stays, the rest is %XX of UTF-8."""
    out = []
    for char in message:
        if 0x20 <= ord(char) <= 0x7E and char != "%":
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode())
    return "".join(out)


def trailer_block(status: int, message: str, metadata: Iterable[tuple[str, str]] = ()) -> bytes:
    """An HTTP/1-style header block for the trailer frame."""
    lines = [f"grpc-status: {status}"]
    if message:
        lines.append(f"grpc-message: {percent_encode(message)}")
    lines.extend(f"{key.lower()}: {value}" for key, value in metadata)
    return "".join(f"{line}\r\n" for line in lines).encode()


def parse_trailer_block(block: bytes) -> dict[str, str]:
    """Parse a trailer frame's payload (tests and clients)."""
    parsed = {}
    for line in block.decode().split("\r\n"):
        if line:
            key, _, value = line.partition(":")
            parsed[key.strip().lower()] = value.strip()
    return parsed


def grpc_timeout_seconds(value: str | None) -> float | None:
    """Seconds from a grpc-timeout header ('3000m', '10S', ...); None when absent or invalid."""
    units = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
    if not value or len(value) < 2 or value[-1] not in units or not value[:-1].isdigit():
        return None
    return int(value[:-1]) * units[value[-1]]
