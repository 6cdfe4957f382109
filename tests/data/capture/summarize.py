"""Decode captured fixtures with the project's own decoder and print what matters for pricing.

    cd /work/main && .venv/bin/python tests/data/capture/summarize.py [LIB ...] [--all-attrs]

For each library under tests/data/otlp/: every span (via ``ingest.otlp.decode``) with its scope,
parent and the attributes whose keys contain token / model / gen_ai / llm / usage (span events
too), then every /v1/logs record (decoded with opentelemetry-proto) with the same filter. Ends
with per-span usage counts, so a call reported by two spans (double-count risk) stands out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from ingest import otlp  # noqa: E402

OUT_ROOT = REPO / "tests" / "data" / "otlp"
NEEDLES = ("token", "model", "gen_ai", "llm", "usage")


def wanted(key: str) -> bool:
    k = key.lower()
    return any(n in k for n in NEEDLES)


def short(value, limit: int = 90) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"


def usage_keys(attrs: dict) -> list[str]:
    return sorted(
        k for k, v in attrs.items() if ("token" in k.lower()) and isinstance(v, (int, float)) and v
    )


def decode_logs(body: bytes, content_type: str) -> list[dict]:
    if "json" in content_type:
        data = json.loads(body)
        out = []
        for rl in data.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for rec in sl.get("logRecords", []):
                    attrs = {
                        a["key"]: next(iter(a["value"].values()), None)
                        for a in rec.get("attributes", [])
                    }
                    out.append(
                        {
                            "scope": sl.get("scope", {}).get("name"),
                            "event": rec.get("eventName"),
                            "attrs": attrs,
                            "body": rec.get("body"),
                            "span_id": rec.get("spanId"),
                        }
                    )
        return out
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    req = ExportLogsServiceRequest()
    req.ParseFromString(body)
    out = []
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for rec in sl.log_records:
                attrs = {a.key: otlp._pb_value(a.value) for a in rec.attributes}
                out.append(
                    {
                        "scope": sl.scope.name,
                        "event": getattr(rec, "event_name", "") or attrs.get("event.name"),
                        "attrs": attrs,
                        "body": MessageToDict(rec.body) if rec.HasField("body") else None,
                        "span_id": rec.span_id.hex(),
                    }
                )
    return out


def summarize(lib_dir: Path, all_attrs: bool) -> None:
    truth = json.loads((lib_dir / "truth.json").read_text())
    print(f"\n{'=' * 100}\n{lib_dir.name}  {truth['versions']}")
    spans = []
    for fx in truth["fixtures"]:
        body = (lib_dir / fx["file"]).read_bytes()
        if fx["path"].endswith("/traces"):
            batch = otlp.decode(body, otlp.JSON if "json" in fx["content_type"] else otlp.PROTOBUF)
            assert not batch.rejected, batch.errors
            spans += batch.spans
    spans.sort(key=lambda s: s.start_ns)
    print(f"-- {len(spans)} spans")
    for s in spans:
        attrs = s.attributes if all_attrs else {k: v for k, v in s.attributes.items() if wanted(k)}
        print(
            f"* {s.name!r} scope={s.scope} span={s.span_id[:6]} "
            f"parent={s.parent_span_id[:6] or '-'} status={s.status_code}"
        )
        for k in sorted(attrs):
            print(f"    {k} = {short(attrs[k])}")
        for ev in s.events:
            ev_attrs = ev.get("attributes", {})
            keys = {k: v for k, v in ev_attrs.items() if wanted(k) or all_attrs}
            print(
                f"    [event {ev.get('name')}] "
                + ", ".join(f"{k}={short(v, 60)}" for k, v in keys.items())
            )
    logs = []
    for fx in truth["fixtures"]:
        if fx["path"].endswith("/logs"):
            logs += decode_logs((lib_dir / fx["file"]).read_bytes(), fx["content_type"])
    if logs:
        print(f"-- {len(logs)} log records")
        for rec in logs:
            keys = {k: v for k, v in rec["attrs"].items() if wanted(k) or all_attrs}
            body = short(rec["body"], 120) if rec["body"] is not None else ""
            print(
                f"* log scope={rec['scope']} event={rec['event']} span={rec['span_id'][:6]} "
                + ", ".join(f"{k}={short(v, 50)}" for k, v in keys.items())
                + (f" body={body}" if body else "")
            )
    print("-- spans with non-zero token attributes:")
    for s in spans:
        keys = usage_keys(s.attributes)
        if keys:
            print(
                f"    {s.name!r} ({s.scope}) parent={s.parent_span_id[:6] or '-'}: "
                + ", ".join(f"{k}={s.attributes[k]}" for k in keys)
            )
    ok = [c for c in truth["calls"] if not c["failed"]]
    print(
        f"-- truth: {len(truth['calls'])} provider requests ({len(ok)} ok): "
        + ", ".join(f"{c['scenario']}:{c['status']}" for c in truth["calls"])
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    all_attrs = "--all-attrs" in sys.argv
    dirs = (
        [OUT_ROOT / a for a in args]
        if args
        else sorted(p.parent for p in OUT_ROOT.glob("*/truth.json"))
    )
    for d in dirs:
        summarize(d, all_attrs)


if __name__ == "__main__":
    main()
