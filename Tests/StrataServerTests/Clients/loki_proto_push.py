#!/usr/bin/python3
"""Push logs to a Loki push endpoint as snappy-compressed protobuf (or gzip-compressed JSON).

Run with /usr/bin/python3 (needs Debian's python3-snappy; nothing else outside the stdlib):

    /usr/bin/python3 loki_proto_push.py --url http://127.0.0.1:PORT/loki/api/v1/push --streams 2 --lines 3
    /usr/bin/python3 loki_proto_push.py --url ... --streams 2 --lines 3 --gzip-json

The protobuf is hand-encoded (no generated code), following Loki's pkg/push/push.proto:

    PushRequest      { repeated StreamAdapter streams = 1; }
    StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; }
    EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
                       repeated LabelPairAdapter structuredMetadata = 3; }
    LabelPairAdapter { string name = 1; string value = 2; }
    Timestamp        { int64 seconds = 1; int32 nanos = 2; }

Proto3 rules as a real encoder applies them: fields holding their zero value (nanos == 0,
empty strings) are left out. The body is snappy *block* format (snappy.compress), sent with
Content-Type: application/x-protobuf (and no Content-Encoding header, as Promtail does).
--gzip-json sends the same data as Loki's JSON push form, gzip-compressed, with
Content-Type: application/json and Content-Encoding: gzip; --json sends it uncompressed.

Data (k = stream index, j = line index, both 0-based):
    labels of stream k:  {app="strata-proto", run="<run>", stream="<k>"}
    line j of stream k:  "proto line <j> of stream <k> run=<run>"
    timestamp (ns):      start_ns + j * step_ns     (start_ns defaults to now)
    structured metadata: idx=<j>, and trace_id=<32 hex digits of k*1000+j> on every entry
                         (omitted with --no-metadata)

Prints one JSON object on stdout: {"status": <HTTP status>, "entries": ..., "start_ns": ...,
"step_ns": ..., "body_bytes": ..., "raw_bytes": ..., "response": "<first 500 bytes>"} and exits
0 only if the status is 204.
"""
import argparse
import gzip
import json
import signal
import sys
import time
import urllib.error
import urllib.request

HTTP_TIMEOUT_SECONDS = 10.0
OVERALL_TIMEOUT_SECONDS = 60


# --- protobuf wire format -------------------------------------------------------------------

def varint(n: int) -> bytes:
    """Unsigned LEB128; negative int64 values are encoded as their 64-bit two's complement."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    return varint((field << 3) | wire_type)


def f_varint(field: int, n: int) -> bytes:
    return tag(field, 0) + varint(n) if n != 0 else b""


def f_bytes(field: int, data: bytes) -> bytes:
    return tag(field, 2) + varint(len(data)) + data


def f_string(field: int, s: str) -> bytes:
    return f_bytes(field, s.encode("utf-8")) if s else b""


def timestamp(ns: int) -> bytes:
    seconds, nanos = divmod(ns, 1_000_000_000)
    return f_varint(1, seconds) + f_varint(2, nanos)


def label_pair(name: str, value: str) -> bytes:
    return f_string(1, name) + f_string(2, value)


def entry(ts_ns: int, line: str, metadata: list) -> bytes:
    out = f_bytes(1, timestamp(ts_ns)) + f_string(2, line)
    for name, value in metadata:
        out += f_bytes(3, label_pair(name, value))
    return out


def stream(labels: str, entries: list) -> bytes:
    out = f_string(1, labels)
    for e in entries:
        out += f_bytes(2, e)
    return out


def push_request(streams: list) -> bytes:
    return b"".join(f_bytes(1, s) for s in streams)


# --- data -----------------------------------------------------------------------------------

def build(n_streams: int, n_lines: int, run: str, start_ns: int, step_ns: int, with_metadata: bool):
    """Returns [(labels dict, labels string, [(ts_ns, line, [(name, value)])])]."""
    out = []
    for k in range(n_streams):
        labels = {"app": "strata-proto", "run": run, "stream": str(k)}
        label_string = "{" + ", ".join(f'{n}="{v}"' for n, v in labels.items()) + "}"
        entries = []
        for j in range(n_lines):
            md = [("idx", str(j)), ("trace_id", format(k * 1000 + j, "032x"))] if with_metadata else []
            entries.append((start_ns + j * step_ns, f"proto line {j} of stream {k} run={run}", md))
        out.append((labels, label_string, entries))
    return out


def encode_proto(data) -> bytes:
    return push_request([stream(ls, [entry(ts, line, md) for ts, line, md in es]) for _, ls, es in data])


def encode_json(data) -> bytes:
    streams = []
    for labels, _, es in data:
        values = []
        for ts, line, md in es:
            v = [str(ts), line]
            if md:
                v.append(dict(md))
            values.append(v)
        streams.append({"stream": labels, "values": values})
    return json.dumps({"streams": streams}, separators=(",", ":")).encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="full push URL, e.g. http://127.0.0.1:PORT/loki/api/v1/push")
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--lines", type=int, default=1, help="entries per stream")
    ap.add_argument("--run", default="p1", help="value of the 'run' label")
    ap.add_argument("--start-ns", type=int, default=None, help="timestamp of line 0 (Unix ns); default now")
    ap.add_argument("--step-ns", type=int, default=1_000_000, help="timestamp step between lines (ns)")
    ap.add_argument("--no-metadata", action="store_true", help="no structured metadata")
    ap.add_argument("--tenant", default=None, help="X-Scope-OrgID header value")
    ap.add_argument("--dump", default=None, help="also write the uncompressed body to this file")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--gzip-json", action="store_true", help="send gzip-compressed JSON instead of protobuf")
    mode.add_argument("--json", action="store_true", help="send plain JSON instead of protobuf")
    a = ap.parse_args()

    signal.alarm(OVERALL_TIMEOUT_SECONDS)
    start_ns = a.start_ns if a.start_ns is not None else time.time_ns()
    data = build(a.streams, a.lines, a.run, start_ns, a.step_ns, not a.no_metadata)

    headers = {"User-Agent": "strata-test-loki-proto-push/1"}
    if a.gzip_json or a.json:
        raw = encode_json(data)
        headers["Content-Type"] = "application/json"
        if a.gzip_json:
            body = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        else:
            body = raw
    else:
        import snappy  # Debian python3-snappy (block format: snappy.compress)

        raw = encode_proto(data)
        body = snappy.compress(raw)
        headers["Content-Type"] = "application/x-protobuf"
    if a.tenant:
        headers["X-Scope-OrgID"] = a.tenant
    if a.dump:
        with open(a.dump, "wb") as f:
            f.write(raw)

    req = urllib.request.Request(a.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_SECONDS) as resp:
            status, text = resp.status, resp.read(500)
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read(500)
    except (urllib.error.URLError, OSError) as e:
        print(json.dumps({"status": None, "error": str(e)}))
        return 2

    print(json.dumps({
        "status": status,
        "entries": a.streams * a.lines,
        "start_ns": start_ns,
        "step_ns": a.step_ns,
        "body_bytes": len(body),
        "raw_bytes": len(raw),
        "response": text.decode("utf-8", "replace"),
    }))
    return 0 if status == 204 else 1


if __name__ == "__main__":
    sys.exit(main())
