#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build Strata and run its tests (CI runs it too):
#   - the native libraries Strata links: liblz4, libzstd (the stores), libsnappy and zlib (the
#     server's request bodies);
#   - the real peers the server's tests talk to: Prometheus 2.42 with promtool, node-exporter and
#     Alertmanager 0.25 (the rules' notifications) from Debian, python3-snappy for a hand-made Loki
#     protobuf push, and from PyPI python-logging-loki and osprofiler with its OTLP driver (into
#     /usr/bin/python3, which the tests run by path).
# No daemon is started (the tests start their own on free loopback ports). Does nothing when all is
# there already.
set -euo pipefail
need_apt=0
pkg-config --exists liblz4 libzstd 2>/dev/null || need_apt=1
{ [ -e /usr/include/snappy-c.h ] && [ -e /usr/include/zlib.h ]; } || need_apt=1
{ command -v prometheus && command -v promtool && command -v prometheus-node-exporter && command -v prometheus-alertmanager; } >/dev/null || need_apt=1
/usr/bin/python3 -c 'import snappy' 2>/dev/null || need_apt=1
if [ "$need_apt" = 1 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        liblz4-dev libzstd-dev pkg-config libsnappy-dev zlib1g-dev \
        prometheus prometheus-node-exporter prometheus-alertmanager python3-snappy python3-pip
fi
/usr/bin/python3 -c 'import logging_loki, osprofiler.drivers.otlp, opentelemetry.exporter.otlp.proto.http' 2>/dev/null || \
    /usr/bin/python3 -m pip install --break-system-packages --root-user-action=ignore --disable-pip-version-check \
        --no-warn-script-location -q \
        'python-logging-loki==0.3.1' 'osprofiler[otlp]==4.4.0' \
        'opentelemetry-sdk==1.45.2' 'opentelemetry-exporter-otlp-proto-http==1.45.2'
