#!/usr/bin/python3
"""Send one small trace with the real osprofiler OTLP driver (OTLP/HTTP protobuf to <endpoint>/v1/traces).

Run with /usr/bin/python3 (the interpreter the CI installs osprofiler[otlp] into):

    /usr/bin/python3 osprofiler_otlp_trace.py --endpoint http://127.0.0.1:PORT [--compression gzip]

osprofiler's connection string is "otlp://127.0.0.1:PORT": drivers/otlp.py replaces the scheme by
http and exports to "http://127.0.0.1:PORT/v1/traces" through OpenTelemetry's OTLPSpanExporter
(protobuf, Content-Type application/x-protobuf) behind a BatchSpanProcessor.

Call tree (osprofiler point names; the exported span name is the point name + "-start" with
str.rstrip("-start") applied, so names are chosen to end in a digit and survive unchanged):

    strata_root_op1                       (root: its osprofiler parent_id == base_id)
    +-- strata_child_op2
    |   +-- strata_grandchild_op3
    +-- strata_failing_op4                (raises ValueError("boom 4"): attribute error=true,
                                           event "log" {error.kind: "ValueError", message: "boom 4"})

Mapping (osprofiler/drivers/otlp.py, osprofiler/_utils.py):
    OTLP trace_id       = UUID(base_id).int as 128 bits   -> hex == base_id without dashes
    OTLP span_id        = UUID(trace_id).int & (2**64-1)  -> hex == last 16 hex digits of trace_id
    OTLP parent_span_id = same for parent_id; empty for spans whose parent_id == base_id
    resource            = {"service.name": "<project>-<service>"} only

Prints one JSON object on stdout and exits 0 when the exporter reported success:
    {"base_id": "...", "trace_id_hex": "<32 hex>", "service_name": "...", "flushed": true,
     "spans": [{"name": ..., "trace_id": ..., "parent_id": ..., "span_id_hex": ...,
                "parent_span_id_hex": ... or null, "kind": ..., "error": bool}, ...]}
(spans in start order; trace_id/parent_id are osprofiler's UUID strings).
"""
import argparse
import json
import os
import signal
import sys
import uuid

OVERALL_TIMEOUT_SECONDS = 60


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="http://127.0.0.1:PORT (the driver appends /v1/traces)")
    ap.add_argument("--project", default="strata", help="osprofiler project (service.name = project-service)")
    ap.add_argument("--service", default="clienttest", help="osprofiler service")
    ap.add_argument("--compression", choices=["none", "gzip", "deflate"], default="none",
                    help="OTLP exporter compression (OTEL_EXPORTER_OTLP_TRACES_COMPRESSION)")
    ap.add_argument("--timeout", type=float, default=10.0, help="exporter timeout per request (s)")
    a = ap.parse_args()

    signal.alarm(OVERALL_TIMEOUT_SECONDS)
    # The driver builds OTLPSpanExporter(url) without other arguments: configure it by environment.
    os.environ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] = a.compression
    os.environ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] = str(a.timeout)
    # The BatchSpanProcessor would otherwise wait up to 5 s; we flush explicitly anyway.
    os.environ.setdefault("OTEL_BSP_SCHEDULE_DELAY", "200")

    from oslo_config import cfg
    from osprofiler import notifier, opts, profiler
    from osprofiler.drivers import base
    from opentelemetry import trace as trace_api
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # Record whether every export succeeded (the SDK only logs failures).
    results = []
    original_export = OTLPSpanExporter.export

    def recording_export(self, spans):
        r = original_export(self, spans)
        results.append((r, len(spans)))
        return r

    OTLPSpanExporter.export = recording_export

    # The driver reads conf.profiler_otlp.service_name_prefix (unset: service.name = project-service);
    # osprofiler.opts registers that group on the global cfg.CONF only.
    conf = cfg.CONF
    opts.set_defaults(conf, enabled=True, hmac_keys="strata-test-key", connection_string="otlp://")
    conf([], project="strata-client-test", default_config_files=[], default_config_dirs=[])

    host_port = a.endpoint.split("://", 1)[-1].rstrip("/")
    connection_string = f"otlp://{host_port}"
    # base.get_driver raises on failure; notifier.create would swallow it and disable profiling.
    driver = base.get_driver(connection_string, project=a.project, service=a.service,
                             host="strata-test-host", conf=conf)
    notifier.set(driver.notify)
    prof = profiler.init("strata-test-key")
    base_id = prof.get_base_id()

    spans = []

    def start(name):
        profiler.start(name, info={"strata": {"test": True}})
        spans.append({"name": name, "trace_id": prof.get_id(), "parent_id": prof.get_parent_id(),
                      "error": False})

    start("strata_root_op1")
    start("strata_child_op2")
    start("strata_grandchild_op3")
    profiler.stop()
    profiler.stop()

    @profiler.trace("strata_failing_op4", hide_args=True)
    def failing():
        spans.append({"name": "strata_failing_op4", "trace_id": prof.get_id(),
                      "parent_id": prof.get_parent_id(), "error": True})
        raise ValueError("boom 4")

    try:
        failing()
    except ValueError:
        pass
    profiler.stop()  # root

    provider = trace_api.get_tracer_provider()
    flushed = provider.force_flush(int(a.timeout * 1000) + 1000)
    provider.shutdown()

    def short_hex(u):
        return format(uuid.UUID(u).int & ((1 << 64) - 1), "016x")

    for s in spans:
        s["span_id_hex"] = short_hex(s["trace_id"])
        s["parent_span_id_hex"] = None if s["parent_id"] == base_id else short_hex(s["parent_id"])
        s["kind"] = "INTERNAL"  # no "wsgi", "db", "http" or "api" in these names

    exported = sum(n for r, n in results if r == SpanExportResult.SUCCESS)
    failed = sum(n for r, n in results if r != SpanExportResult.SUCCESS)
    ok = flushed and failed == 0 and exported == len(spans)
    print(json.dumps({
        "base_id": base_id,
        "trace_id_hex": format(uuid.UUID(base_id).int, "032x"),
        "service_name": f"{a.project}-{a.service}",
        "flushed": flushed,
        "exported_spans": exported,
        "failed_spans": failed,
        "spans": spans,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
