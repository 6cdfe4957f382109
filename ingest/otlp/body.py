"""The body of an OTLP export as a whole: content types, decode errors, gzip and error replies.

Pure: bytes in, bytes out. Every problem with the body as a whole raises ``OtlpDecodeError``
with a message meant for the exporter's operator.
"""

from __future__ import annotations

import json
import zlib

from google.rpc.status_pb2 import Status

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CONTENT_TYPES = (PROTOBUF, JSON)


class OtlpDecodeError(ValueError):
    """The body cannot be read as an OTLP trace export."""


class BodyTooLarge(OtlpDecodeError):
    """The body, once decompressed, exceeds the configured limit."""


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (identity or gzip), refusing output larger than ``limit`` bytes.

    Decompression is streamed and capped, so a gzip bomb costs at most ``limit`` bytes.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise OtlpDecodeError(f"unsupported Content-Encoding {encoding!r}: send gzip or identity")
    out = bytearray()
    data = body
    while True:  # a gzip stream may hold several members; read them all
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise OtlpDecodeError(f"body is not valid gzip: {exc}") from None
        if len(out) > limit or (inflater.unconsumed_tail and len(out) >= limit):
            raise BodyTooLarge(f"decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise OtlpDecodeError("gzip body is truncated")
        data = inflater.unused_data
        if not data.strip(b"\x00"):  # trailing padding after the last member is allowed
            return bytes(out)


def encode_error(message: str, content_type: str, code: int = 3) -> bytes:
    """An OTLP error body: ``google.rpc.Status`` (code 3 = INVALID_ARGUMENT) in ``content_type``.

    Any other content type gets plain text, since the client could not read either encoding.
    """
    if content_type == JSON:
        return json.dumps({"code": code, "message": message}).encode()
    if content_type == PROTOBUF:
        return Status(code=code, message=message).SerializeToString()
    return message.encode()
