"""Decode OTLP trace export bodies (protobuf or JSON, optionally gzip) into ``SpanRecord``s.

Pure: bytes in, plain records out. Every problem with the body as a whole raises
``OtlpDecodeError`` with a message meant for the exporter's operator; a single bad span is
reported in ``DecodedBatch.rejected`` and the rest of the batch is kept (OTLP partial success).

- ``body``: content types, the decode errors, ``decompress`` (gzip, capped) and ``encode_error``;
- ``values``: AnyValue → Python for protobuf and OTLP/JSON, ``clean_text``, ids and
  ``limit_attributes``;
- ``traces``: ``decode`` → ``DecodedBatch`` of ``SpanRecord``s, and ``encode_response``;
- ``logs``: ``decode_logs`` → the GenAI ``LogRecordData`` tied to spans.
"""

from __future__ import annotations

from ingest.otlp.body import (
    CONTENT_TYPES,
    JSON,
    PROTOBUF,
    BodyTooLarge,
    OtlpDecodeError,
    decompress,
    encode_error,
)
from ingest.otlp.logs import EVENT_NAME_KEY, GENAI_EVENT_PREFIX, LogRecordData, decode_logs
from ingest.otlp.traces import DecodedBatch, SpanRecord, decode, encode_response
from ingest.otlp.values import _pb_value as _pb_value  # tests/data/capture/summarize.py
from ingest.otlp.values import clean_text, limit_attributes

__all__ = [
    "CONTENT_TYPES",
    "EVENT_NAME_KEY",
    "GENAI_EVENT_PREFIX",
    "JSON",
    "PROTOBUF",
    "BodyTooLarge",
    "DecodedBatch",
    "LogRecordData",
    "OtlpDecodeError",
    "SpanRecord",
    "clean_text",
    "decode",
    "decode_logs",
    "decompress",
    "encode_error",
    "encode_response",
    "limit_attributes",
]
