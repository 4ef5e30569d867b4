#!/usr/bin/env python3
"""Deterministic inputs of Tools/bench-rules.sh: node-exporter-like OpenMetrics and a rule mix.

    bench-rules-gen.py data  --instances 100 --days 1 --start 1699920000 --out node.om
    bench-rules-gen.py rules --instances 100 --out-dir DIR   # recording.yml, alerting.yml, samples

Data: INSTANCES hosts `instance="i-N"`, `job="node"`, `cluster="cK"` (K = N // 10, so ten hosts a
cluster), scraped every 15 s from START for DAYS days (5,760 scrapes a day), ten series a host:

    node_cpu_seconds_total{cpu="0",mode="idle"|"system"|"user"}   counter, hundredths (USER_HZ ticks)
    node_network_receive_bytes_total{device="eth0"}               counter, bytes
    node_network_transmit_bytes_total{device="eth0"}              counter, bytes
    node_disk_io_time_seconds_total{device="sda"}                 counter, milliseconds
    node_context_switches_total                                    counter, integer
    node_load1                                                     gauge, 2 decimals
    node_memory_MemAvailable_bytes                                 gauge, 4 KiB pages
    node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"}  gauge, 4 KiB blocks

100 instances give 1,000 series (8 metric names). Each host has a busy share that follows a daily
cycle, AR(1) noise and busy spells of 5-60 minutes (a few a day), which drive CPU, network, disk
and load, so threshold alerts go pending, fire and resolve now and then. Time-major order (every
series of scrape k, then scrape k+1), a `# TYPE` line before each family in each scrape, samples
`name{labels} value timestamp` with the timestamp in seconds, `# EOF` at the end: what both
`strata ingest` and `promtool tsdb create-blocks-from openmetrics` read. The same arguments always
give the same bytes (Python's Mersenne Twister, one stream per host seeded from --seed).

Rules (1,000 with 100 instances; every group `interval: 15s`), each touching 1-100 series:

  recording.yml, 600 recording rules in 6 groups of 100:
    150  sum by (instance) (rate(C{cluster="cK"}[W]))            5 counters x 3 windows (1m, 5m, 15m)
         x 10 clusters; 10-20 series each (cpu: mode!="idle")
     30  avg by (cluster, mode) (rate(node_cpu_seconds_total{cluster="cK"}[W]))   30 series each
     60  per-cluster aggregations of gauges (max/avg/quantile/min/sum by (cluster), max_over_time,
         sum of network rates): 10 series each
     10  fleet-wide (sum, avg, max, count, topk, stddev, sum by (cluster) ...): 100 series each
    100  node_memory_MemAvailable_bytes{instance="i-N"} / 1048576                 1 series
    100  1 - avg by (instance) (rate(node_cpu_seconds_total{instance="i-N",mode="idle"}[5m]))   1
     50  node_load1{instance="i-N"} * 2                                            1
    100  rate(node_network_transmit_bytes_total{instance="i-N"}[5m]) * 8           1
  alerting.yml, 400 alerting rules in 4 groups of 100, each with `labels: {severity}` and
  `annotations` summary/description templates using {{ $labels.instance }} and {{ $value }}:
    100  rate(node_network_receive_bytes_total{instance="i-N"}[5m]) > X       for: 5m   1 series
    100  rate(node_disk_io_time_seconds_total{instance="i-N"}[5m]) > X        for: 5m   1
    100  1 - rate(node_cpu_seconds_total{instance="i-N",mode="idle"}[5m]) > X for: 5m   1
     50  node_load1{cluster="cK"} > X (X = 2.5 .. 4.5, 10 clusters)          for: 5m  10
     50  per cluster: available memory low, memory shrinking (delta over 15m), filesystem
         filling up (predict_linear over 1h), filesystem low, context switches high
                                                                       for: 5m or 10m  10
  The per-host thresholds sit above each host's ordinary level, so busy spells cross them.
  Rules that share a name carry their `cluster` or `instance` as a rule label as well, so no two
  rules of a group have the same name and labels (`strata rules check` refuses those).
recording-sample.yml and alerting-sample.yml hold every tenth rule of each (60 + 40, one group
each), the same mix at a tenth of the cost. With more instances (10x), the per-instance rules
cover the first 100 instances and the per-cluster ones the first 10 clusters: the same 1,000
rules.
"""

import argparse
import math
import os
import random
import sys

STEP = 15
NCPU_TICKS = 100  # USER_HZ


class Host:
    """One node's simulated state."""

    def __init__(self, n, seed):
        self.n = n
        r = random.Random(seed * 1_000_003 + n)
        self.r = r
        self.base = 0.08 + 0.35 * r.random()  # ordinary busy share
        self.phase = 2 * math.pi * r.random()
        self.noise = 0.0
        self.spell = 0  # scrapes left in a busy spell
        self.spell_level = 0.0
        self.net_rate = int(2e5 + 4e6 * r.random())  # bytes/s at busy 1
        self.disk_rate = 0.15 + 0.5 * r.random()  # io share at busy 1
        self.ctx_rate = int(1500 + 8000 * r.random())
        self.mem_total = (4 + 4 * r.randrange(1, 8)) << 30
        self.fs_size = (40 + 20 * r.randrange(1, 10)) << 30
        # Counters start from an uptime of 3-200 days.
        up = int(86400 * (3 + 197 * r.random()))
        self.cpu_idle = int(up * NCPU_TICKS * (1 - self.base))
        self.cpu_user = int(up * NCPU_TICKS * self.base * 0.7)
        self.cpu_system = int(up * NCPU_TICKS * self.base * 0.3)
        self.rx = int(up * self.net_rate * self.base)
        self.tx = self.rx // 3
        self.disk_ms = int(up * 1000 * self.disk_rate * self.base)
        self.ctx = int(up * self.ctx_rate * (1 + 4 * self.base))
        self.load = 4 * self.base
        self.fs_free = int(self.fs_size * (0.3 + 0.5 * r.random())) & ~4095
        self.mem_used = self.mem_total * (0.2 + 0.4 * self.base)

    def busy(self, t):
        r = self.r
        self.noise = 0.9 * self.noise + 0.03 * r.gauss(0, 1)
        if self.spell > 0:
            self.spell -= 1
        elif r.random() < 1 / 900:  # about 6 spells a day
            self.spell = r.randrange(20, 240)  # 5-60 minutes
            self.spell_level = 0.25 + 0.45 * r.random()
        b = self.base + 0.12 * math.sin(2 * math.pi * t / 86400 + self.phase) + self.noise
        if self.spell > 0:
            b += self.spell_level
        return min(0.99, max(0.01, b))

    def scrape(self, t):
        """Advances one interval; returns the ten values as text, in series order."""
        r = self.r
        b = self.busy(t)
        ticks = STEP * NCPU_TICKS
        user = int(ticks * b * 0.7 + r.random())
        system = int(ticks * b * 0.3 + r.random())
        self.cpu_user += user
        self.cpu_system += system
        self.cpu_idle += max(0, ticks - user - system)
        self.rx += int(STEP * self.net_rate * (0.05 + b) * r.lognormvariate(0, 0.3))
        self.tx += int(STEP * self.net_rate * (0.02 + b) * 0.3 * r.lognormvariate(0, 0.3))
        self.disk_ms += min(STEP * 1000, int(STEP * 1000 * self.disk_rate * b * r.lognormvariate(0, 0.2)))
        self.ctx += int(STEP * self.ctx_rate * (1 + 4 * b) * (0.9 + 0.2 * r.random()))
        self.load += (4 * b + r.gauss(0, 0.2) - self.load) * 0.22  # calc_load over 15 s
        self.load = max(0.0, self.load)
        self.mem_used += (self.mem_total * (0.2 + 0.5 * b) - self.mem_used) * 0.05
        if r.random() < 1 / 2000:
            self.fs_free = min(self.fs_size, self.fs_free + (r.randrange(1, 2000) << 20))
        else:
            self.fs_free = max(0, self.fs_free - r.randrange(0, 64) * 4096)
        mem_avail = (self.mem_total - int(self.mem_used)) & ~4095
        return (
            cents(self.cpu_idle),
            cents(self.cpu_system),
            cents(self.cpu_user),
            str(self.rx),
            str(self.tx),
            millis(self.disk_ms),
            str(self.ctx),
            cents(int(self.load * 100 + 0.5)),
            str(mem_avail),
            str(self.fs_free),
        )


def cents(v):
    s = "%d.%02d" % divmod(v, 100)
    return s.rstrip("0").rstrip(".")


def millis(v):
    s = "%d.%03d" % divmod(v, 1000)
    return s.rstrip("0").rstrip(".")


# (family, type, sample name, extra labels) in series order; a family's series are consecutive.
SERIES = [
    ("node_cpu_seconds", "counter", "node_cpu_seconds_total", 'cpu="0",', 'mode="idle"'),
    ("node_cpu_seconds", "counter", "node_cpu_seconds_total", 'cpu="0",', 'mode="system"'),
    ("node_cpu_seconds", "counter", "node_cpu_seconds_total", 'cpu="0",', 'mode="user"'),
    ("node_network_receive_bytes", "counter", "node_network_receive_bytes_total", 'device="eth0",', ""),
    ("node_network_transmit_bytes", "counter", "node_network_transmit_bytes_total", 'device="eth0",', ""),
    ("node_disk_io_time_seconds", "counter", "node_disk_io_time_seconds_total", 'device="sda",', ""),
    ("node_context_switches", "counter", "node_context_switches_total", "", ""),
    ("node_load1", "gauge", "node_load1", "", ""),
    ("node_memory_MemAvailable_bytes", "gauge", "node_memory_MemAvailable_bytes", "", ""),
    ("node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes", 'device="/dev/sda1",fstype="ext4",', 'mountpoint="/"'),
]


def prefix(series, n):
    """`name{labels} ` with the labels sorted by name."""
    _, _, name, before, after = series
    labels = [x for x in (before.rstrip(",") + "," + after).split(",") if x]
    labels += ['cluster="c%d"' % (n // 10), 'instance="i-%d"' % n, 'job="node"']
    labels.sort(key=lambda x: x.split("=", 1)[0])
    return name + "{" + ",".join(labels) + "} "


def gen_data(args):
    hosts = [Host(n, args.seed) for n in range(args.instances)]
    prefixes = [[prefix(s, n) for s in SERIES] for n in range(args.instances)]
    families = []  # (TYPE line, [series index])
    for i, s in enumerate(SERIES):
        if families and families[-1][0].split()[2] == s[0]:
            families[-1][1].append(i)
        else:
            families.append(("# TYPE %s %s\n" % (s[0], s[1]), [i]))
    scrapes = args.days * 86400 // STEP
    out = open(args.out, "w", buffering=1 << 22) if args.out != "-" else sys.stdout
    for k in range(scrapes):
        t = args.start + k * STEP
        ts = " %d\n" % t
        values = [h.scrape(t) for h in hosts]
        chunk = []
        for type_line, idx in families:
            chunk.append(type_line)
            for i in idx:
                for n in range(args.instances):
                    chunk.append(prefixes[n][i] + values[n][i] + ts)
        out.write("".join(chunk))
    out.write("# EOF\n")
    if out is not sys.stdout:
        out.close()
    print("%d series, %d samples each, %d samples" % (args.instances * len(SERIES), scrapes, args.instances * len(SERIES) * scrapes), file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Rules


def q(s):
    """A YAML single-quoted scalar."""
    return "'" + s.replace("'", "''") + "'"


def group(name, rules):
    lines = ["  - name: %s" % name, "    interval: 15s", "    rules:"]
    for r in rules:
        key = "record" if "record" in r else "alert"
        lines.append("      - %s: %s" % (key, r[key]))
        lines.append("        expr: %s" % q(r["expr"]))
        if "for" in r:
            lines.append("        for: %s" % r["for"])
        if "labels" in r:
            lines.append("        labels:")
            for k, v in r["labels"]:
                lines.append("          %s: %s" % (k, q(v)))
        if "annotations" in r:
            lines.append("        annotations:")
            for k, v in r["annotations"]:
                lines.append("          %s: %s" % (k, q(v)))
    return lines


def write_groups(path, prefix_name, rules):
    lines = ["# Generated by Tools/bench-rules-gen.py rules; see its docstring for the mix.", "groups:"]
    for g in range(0, len(rules), 100):
        lines += group("%s-%d" % (prefix_name, g // 100 + 1), rules[g : g + 100])
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def gen_rules(args):
    r = random.Random(args.seed)
    n_inst = min(100, args.instances)
    clusters = ["c%d" % k for k in range(max(1, min(10, args.instances // 10)))]
    rec = []
    counters = [
        ("node_cpu_seconds_total", ',mode!="idle"', "node_cpu_busy_seconds"),
        ("node_network_receive_bytes_total", "", "node_network_receive_bytes"),
        ("node_network_transmit_bytes_total", "", "node_network_transmit_bytes"),
        ("node_disk_io_time_seconds_total", "", "node_disk_io_time_seconds"),
        ("node_context_switches_total", "", "node_context_switches"),
    ]
    for metric, extra, short in counters:
        for w in ("1m", "5m", "15m"):
            for c in clusters:
                rec.append({"record": "instance:%s:rate%s" % (short, w), "expr": 'sum by (instance) (rate(%s{cluster="%s"%s}[%s]))' % (metric, c, extra, w),
                            "labels": [("cluster", c)]})
    for w in ("1m", "5m", "15m"):
        for c in clusters:
            rec.append({"record": "cluster_mode:node_cpu_seconds:avg_rate%s" % w, "expr": 'avg by (cluster, mode) (rate(node_cpu_seconds_total{cluster="%s"}[%s]))' % (c, w),
                        "labels": [("cluster", c)]})
    cluster_exprs = [
        ("cluster:node_load1:max", "max by (cluster) (node_load1{cluster=\"%s\"})"),
        ("cluster:node_load1:p90", "quantile by (cluster) (0.9, node_load1{cluster=\"%s\"})"),
        ("cluster:node_load1:max15m", "max by (cluster) (max_over_time(node_load1{cluster=\"%s\"}[15m]))"),
        ("cluster:node_memory_available:min_bytes", "min by (cluster) (node_memory_MemAvailable_bytes{cluster=\"%s\"})"),
        ("cluster:node_filesystem_avail:sum_bytes", "sum by (cluster) (node_filesystem_avail_bytes{cluster=\"%s\"})"),
        ("cluster:node_network_receive_bytes:sum_rate5m", "sum by (cluster) (rate(node_network_receive_bytes_total{cluster=\"%s\"}[5m]))"),
    ]
    for name, e in cluster_exprs:
        for c in clusters:
            rec.append({"record": name, "expr": e % c, "labels": [("cluster", c)]})
    fleet = [
        ("fleet:node_context_switches:sum_rate5m", "sum(rate(node_context_switches_total[5m]))"),
        ("fleet:node_load1:avg", "avg(node_load1)"),
        ("fleet:node_load1:max", "max(node_load1)"),
        ("fleet:node_load1:stddev", "stddev(node_load1)"),
        ("fleet:node_load1:count_above_2", "count(node_load1 > 2)"),
        ("fleet:node_filesystem_avail:sum_bytes", "sum(node_filesystem_avail_bytes)"),
        ("fleet:node_memory_available:min_bytes", "min(node_memory_MemAvailable_bytes)"),
        ("fleet:node_disk_io_time:top5_rate5m", "topk(5, rate(node_disk_io_time_seconds_total[5m]))"),
        ("cluster:node_disk_io_time:avg_rate5m", "avg by (cluster) (rate(node_disk_io_time_seconds_total[5m]))"),
        ("cluster:node_network_transmit_bytes:sum_rate5m", "sum by (cluster) (rate(node_network_transmit_bytes_total[5m]))"),
    ]
    for name, e in fleet:
        rec.append({"record": name, "expr": e})
    insts = ["i-%d" % n for n in range(n_inst)]
    for i in insts:
        rec.append({"record": "instance:node_memory_available:mib", "expr": 'node_memory_MemAvailable_bytes{instance="%s"} / 1048576' % i, "labels": [("instance", i)]})
    for i in insts:
        rec.append({"record": "instance:node_cpu_busy:ratio_rate5m", "expr": '1 - avg by (instance) (rate(node_cpu_seconds_total{instance="%s",mode="idle"}[5m]))' % i, "labels": [("instance", i)]})
    for i in insts[: n_inst // 2]:
        rec.append({"record": "instance:node_load1:x2", "expr": 'node_load1{instance="%s"} * 2' % i, "labels": [("instance", i)]})
    for i in insts:
        rec.append({"record": "instance:node_network_transmit:bits_rate5m", "expr": 'rate(node_network_transmit_bytes_total{instance="%s"}[5m]) * 8' % i, "labels": [("instance", i)]})

    # Alerting rules; the thresholds come from the same hosts' parameters as the data.
    hosts = [Host(n, args.seed) for n in range(n_inst)]
    ann = lambda what: [
        ("summary", "%s on {{ $labels.instance }}" % what),
        ("description", "{{ $labels.instance }} of {{ $labels.cluster }}: {{ $value }} for 5 minutes"),
    ]
    alert = []
    for h, i in zip(hosts, insts):
        x = int(h.net_rate * (h.base + 0.25))
        alert.append({"alert": "HostHighNetworkReceive", "expr": 'rate(node_network_receive_bytes_total{instance="%s"}[5m]) > %d' % (i, x),
                      "for": "5m", "labels": [("severity", "warning"), ("instance", i)], "annotations": ann("High network receive")})
    for h, i in zip(hosts, insts):
        x = round(h.disk_rate * (h.base + 0.25), 3)
        alert.append({"alert": "HostHighDiskIO", "expr": 'rate(node_disk_io_time_seconds_total{instance="%s"}[5m]) > %s' % (i, x),
                      "for": "5m", "labels": [("severity", "warning"), ("instance", i)], "annotations": ann("Disk busy")})
    for h, i in zip(hosts, insts):
        x = round(min(0.95, h.base + 0.3), 2)
        alert.append({"alert": "HostHighCPU", "expr": '1 - rate(node_cpu_seconds_total{instance="%s",mode="idle"}[5m]) > %s' % (i, x),
                      "for": "5m", "labels": [("severity", "critical" if x > 0.7 else "warning"), ("instance", i)], "annotations": ann("CPU busy")})
    for x in (2.5, 3, 3.5, 4, 4.5):
        for c in clusters:
            alert.append({"alert": "HostLoadAbove%s" % str(x).replace(".", "_"), "expr": 'node_load1{cluster="%s"} > %s' % (c, x),
                          "for": "5m", "labels": [("severity", "warning"), ("cluster", c)], "annotations": ann("Load above %s" % x)})
    checks = [
        ("HostLowMemory", 'node_memory_MemAvailable_bytes{cluster="%s"} / 1e9 < 2', "10m"),
        ("HostMemoryShrinking", 'delta(node_memory_MemAvailable_bytes{cluster="%s"}[15m]) < -1.5e9', "5m"),
        ("HostDiskFillingUp", 'predict_linear(node_filesystem_avail_bytes{cluster="%s"}[1h], 4 * 3600) < 1e10', "5m"),
        ("HostFilesystemLow", 'node_filesystem_avail_bytes{cluster="%s"} / 1e9 < 30', "10m"),
        ("HostContextSwitchesHigh", 'rate(node_context_switches_total{cluster="%s"}[5m]) > 30000', "5m"),
    ]
    for name, e, f in checks:
        for c in clusters:
            alert.append({"alert": name, "expr": e % c, "for": f, "labels": [("severity", "info"), ("cluster", c)], "annotations": ann(name)})

    os.makedirs(args.out_dir, exist_ok=True)
    write_groups(os.path.join(args.out_dir, "recording.yml"), "node-recording", rec)
    write_groups(os.path.join(args.out_dir, "alerting.yml"), "node-alerts", alert)
    # Every tenth rule of each file: the sample both tools run when the whole set would take too long.
    write_groups(os.path.join(args.out_dir, "recording-sample.yml"), "node-recording-sample", rec[::10])
    write_groups(os.path.join(args.out_dir, "alerting-sample.yml"), "node-alerts-sample", alert[::10])
    print("%d recording rules, %d alerting rules" % (len(rec), len(alert)), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data", help="OpenMetrics text")
    d.add_argument("--instances", type=int, default=100)
    d.add_argument("--days", type=int, default=1)
    d.add_argument("--start", type=int, default=1699920000, help="Unix seconds of the first scrape (default 2023-11-14T00:00:00Z)")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--out", default="-")
    r = sub.add_parser("rules", help="recording.yml and alerting.yml")
    r.add_argument("--instances", type=int, default=100)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--out-dir", required=True)
    a = p.parse_args()
    if a.cmd == "data":
        gen_data(a)
    else:
        gen_rules(a)


if __name__ == "__main__":
    main()
