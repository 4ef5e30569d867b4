import StrataMetrics
import Testing

@testable import StrataIngest

@Suite struct PrometheusTextParserTests {
    @Test func countersGaugesAndUntypedWithMillisecondTimestamps() {
        let r = parseProm(
            """
            # HELP node_load1 1m load average.
            # TYPE node_load1 gauge
            node_load1 0.61 1700000000000
            # TYPE node_cpu_seconds_total counter
            node_cpu_seconds_total{cpu="0",mode="idle"} 12345.67 1700000000123
            node_cpu_seconds_total{mode="user", cpu="0",} 1e3
            some_untyped -7
            """,
            format: .prometheus
        )
        #expect(r.rejected == [])
        #expect(
            r.samples == [
                FlatSample("node_load1", 1_700_000_000_000, 0.61),
                FlatSample("node_cpu_seconds_total{cpu=\"0\", mode=\"idle\"}", 1_700_000_000_123, 12345.67),
                FlatSample("node_cpu_seconds_total{cpu=\"0\", mode=\"user\"}", 42, 1000),
                FlatSample("some_untyped", 42, -7),
            ]
        )
        #expect(r.batch.newSeries.map(\.index) == [0, 1, 2, 3])
    }

    @Test func labelValueEscapes() {
        let r = parseProm(#"m{a="back\\slash",b="quote\"d",c="new\nline",d="tab\t"} 1"#, format: .prometheus)
        #expect(r.rejected == [])
        let labels = r.labelsByIndex[0]!
        #expect(labels["a"] == "back\\slash")
        #expect(labels["b"] == "quote\"d")
        #expect(labels["c"] == "new\nline")
        #expect(labels["d"] == "tab\\t")  // unknown escapes are kept as written, as Prometheus does
        #expect(labels.count == 5)
    }

    @Test(arguments: [
        ("1", 1.0), ("-1.5", -1.5), ("+2", 2.0), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("-1.5E-3", -0.0015),
        ("0.1", 0.1), ("123456789012345678901234567890", 123456789012345678901234567890.0),
        ("0.1000000000000000055511151231257827", 0.1), ("1.7976931348623157e308", Double.greatestFiniteMagnitude),
        ("4.9e-324", Double.leastNonzeroMagnitude), ("1e-400", 0.0), ("-0", -0.0),
        ("9007199254740993", 9007199254740992.0),
        ("+Inf", Double.infinity), ("-Inf", -Double.infinity), ("Inf", Double.infinity), ("inf", Double.infinity),
        ("Infinity", Double.infinity), ("-infinity", -Double.infinity),
    ])
    func sampleValues(text: String, expected: Double) {
        let r = parseProm("m \(text)\n", format: .prometheus)
        #expect(r.rejected == [])
        #expect(r.samples == [FlatSample("m", 42, expected)])
    }

    @Test func nanIsStoredAsPrometheusNormalNaN() {
        let r = parseProm("a NaN\nb nan\n", format: .prometheus)
        #expect(r.batch.values.map(\.bitPattern) == [0x7ff8_0000_0000_0001, 0x7ff8_0000_0000_0001])
    }

    @Test(arguments: ["0x10", "0x1p3", "1_000", "1e400", "-1e400", "+nan", "1.2.3", "e5", "1e", "--1", "Inf1", "12a"])
    func invalidValuesAreRejected(text: String) {
        let r = parseProm("m \(text)\nok 1\n", format: .prometheus)
        #expect(r.samples == [FlatSample("ok", 42, 1)])
        #expect(r.rejected.count == 1)
        #expect(r.rejected.first?.line == 1)
        #expect(r.rejected.first?.reason == "expected a float value at column 3, found \"\(text)\"")
        #expect(r.rejected.first?.text == "m \(text)")
    }

    @Test(arguments: [
        ("1520879607.789", Int64(1_520_879_607_789)), ("1520879607", 1_520_879_607_000),
        ("1520879607.7899", 1_520_879_607_789),
        ("1.5e9", 1_500_000_000_000), ("-1.5", -1500), ("0.001", 1), ("0.0009", 0), ("1e-3", 1), (".5", 500),
        ("1520879607.1", 1_520_879_607_100), ("1520879607.12", 1_520_879_607_120),
    ])
    func openMetricsTimestampsAreSecondsConvertedExactly(text: String, ms: Int64) {
        let r = parseProm("# TYPE m gauge\nm 1 \(text)\n# EOF\n", format: .openMetrics)
        #expect(r.rejected == [])
        #expect(r.samples == [FlatSample("m", ms, 1)])
    }

    @Test func prometheusTimestampsMustBeIntegers() {
        let r = parseProm("m 1 1.5\nm 1 99999999999999999999\nm 1 -5\n", format: .prometheus)
        #expect(r.samples == [FlatSample("m", -5, 1)])
        #expect(r.rejected.map(\.line) == [1, 2])
        #expect(r.rejected[0].reason == "expected an integer timestamp in milliseconds at column 5, found \"1.5\"")
    }

    @Test func histogramAndSummaryBoundsAreNormalisedAsPrometheus3Does() {
        let r = parseProm(
            """
            # TYPE h histogram
            h_bucket{le="0.5"} 1
            h_bucket{le="1"} 2
            h_bucket{le="1.0"} 2
            h_bucket{le="100000"} 3
            h_bucket{le="1e6"} 3
            h_bucket{le="0.00001"} 3
            h_bucket{le="+Inf"} 4
            h_sum 7.5
            h_count 4
            # TYPE s summary
            s{quantile="0.99"} 3
            s{quantile="1"} 4
            s_sum 10
            s_count 2
            # TYPE g gauge
            g{le="1"} 1
            """,
            format: .prometheus
        )
        #expect(r.rejected == [])
        #expect(
            r.samples.map(\.series) == [
                "h_bucket{le=\"0.5\"}", "h_bucket{le=\"1.0\"}", "h_bucket{le=\"1.0\"}", "h_bucket{le=\"100000.0\"}",
                "h_bucket{le=\"1e+06\"}", "h_bucket{le=\"1e-05\"}", "h_bucket{le=\"+Inf\"}", "h_sum", "h_count",
                "s{quantile=\"0.99\"}", "s{quantile=\"1.0\"}", "s_sum", "s_count", "g{le=\"1\"}",
            ]
        )
        // `le="1"` and `le="1.0"` are one series.
        #expect(r.batch.seriesIndex[1] == r.batch.seriesIndex[2])
        #expect(r.batch.newSeries.count == 13)
    }

    @Test(arguments: [
        (1.0, "1.0"), (0.0, "0.0"), (-1.0, "-1.0"), (0.25, "0.25"), (2.5, "2.5"), (10.0, "10.0"),
        (100000.0, "100000.0"),
        (1e6, "1e+06"), (1.5e6, "1.5e+06"), (123456789.0, "1.23456789e+08"), (0.0001, "0.0001"), (0.00001, "1e-05"),
        (0.000123, "0.000123"), (1e21, "1e+21"), (1e-300, "1e-300"), (-0.005, "-0.005"), (Double.infinity, "+Inf"),
        (-Double.infinity, "-Inf"), (0.1 + 0.2, "0.30000000000000004"),
    ])
    func openMetricsFloatFormat(value: Double, text: String) {
        #expect(OpenMetricsFloatFormat.format(value) == text)
    }

    @Test func openMetricsConstructs() {
        let text = """
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1520879607.789
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0 1520879607.789
            acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
            # TYPE foo counter
            foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
            foo_created 1520430000.123
            # TYPE bar histogram
            bar_bucket{le="0.01"} 1 # {trace_id="a"} 0.005 1520879607.7
            bar_bucket{le="+Inf"} 2
            # TYPE build info
            build_info{version="1.2"} 1
            # TYPE state stateset
            state{state="a"} 1
            state{state="b"} 0
            # EOF
            """
        let r = parseProm(text + "\n")
        #expect(r.rejected == [])
        #expect(
            r.samples == [
                FlatSample(
                    "acme_http_router_request_seconds_sum{method=\"GET\", path=\"/api/v1\"}",
                    1_520_879_607_789,
                    9036.32
                ),
                FlatSample(
                    "acme_http_router_request_seconds_count{method=\"GET\", path=\"/api/v1\"}",
                    1_520_879_607_789,
                    807283
                ),
                FlatSample(
                    "acme_http_router_request_seconds_created{method=\"GET\", path=\"/api/v1\"}",
                    42,
                    1_605_281_325
                ),
                FlatSample("foo_total", 1_520_879_607_789, 17),
                FlatSample("foo_created", 42, 1_520_430_000.123),
                FlatSample("bar_bucket{le=\"0.01\"}", 42, 1),
                FlatSample("bar_bucket{le=\"+Inf\"}", 42, 2),
                FlatSample("build_info{version=\"1.2\"}", 42, 1),
                FlatSample("state{state=\"a\"}", 42, 1),
                FlatSample("state{state=\"b\"}", 42, 0),
            ]
        )
        // Without a final newline too.
        #expect(parseProm(text).samples == r.samples)
    }

    @Test func linesAfterEOFAreRejectedAndMissingEOFIsReported() {
        let r = parseProm("# TYPE a gauge\na 1 1\n# EOF\na 2 2\n", format: .openMetrics)
        #expect(r.samples == [FlatSample("a", 1000, 1)])
        #expect(r.rejected == [RejectedLine(line: 4, reason: "unexpected content after \"# EOF\"", text: "a 2 2")])

        let missing = parseProm("a 1 1\na 2 2\n", format: .openMetrics)
        #expect(missing.samples.count == 2)
        #expect(
            missing.rejected == [
                RejectedLine(line: 3, reason: "OpenMetrics input does not end with \"# EOF\"", text: "")
            ]
        )

        // In Prometheus text `# EOF` is an ordinary comment.
        let prom = parseProm("a 1 1\n# EOF\na 2 2\n", format: .prometheus)
        #expect(prom.samples == [FlatSample("a", 1, 1), FlatSample("a", 2, 2)])
        #expect(prom.rejected == [])
    }

    @Test func automaticDetection() {
        var p = PrometheusTextParser(defaultTimestamp: 0)
        _ = feed(&p, Array("# TYPE a gauge\na 1 1000\n".utf8))
        #expect(p.format == .prometheus)

        let cases = [
            "# TYPE a gauge\na 1 1000\n# EOF\n", "# TYPE a gauge\n# UNIT a seconds\na 1 1000\n",
            "# TYPE a counter\na_total 1 1000\n", "a 1 1000.5\n", "# TYPE a info\na_info 1 1000\n",
        ]
        for text in cases {
            var om = PrometheusTextParser(defaultTimestamp: 0)
            let r = feed(&om, Array(text.utf8))
            #expect(om.format == .openMetrics, "\(text)")
            #expect(r.batch.timestamps.first == 1_000_000 || r.batch.timestamps.first == 1_000_500, "\(text)")
        }
    }

    @Test func malformedLinesAreRejectedWithLineAndColumnAndParsingContinues() {
        let bad: [UInt8] = Array("bad{a=\"".utf8) + [0xFF, 0xFE] + Array("\"} 1\n".utf8)
        let text =
            Array(
                """
                ok 1
                {a="b"} 1
                m{1a="b"} 1
                m{a="b" 1
                m{a "b"} 1
                m{a=b} 1
                m{a="b"}1
                m{a="x",a="y"} 1
                m{__name__="n"} 1
                m
                m 1 2 3
                # TYPE m bogus
                # TYPE 9m gauge
                m{a="b"} 1 abc

                """.utf8
            ) + bad + Array("ok 2\n".utf8)
        var p = PrometheusTextParser(format: .prometheus, defaultTimestamp: 0)
        let r = feed(&p, text)
        #expect(r.samples == [FlatSample("ok", 0, 1), FlatSample("ok", 0, 2)])
        let expected: [(Int, String)] = [
            (2, "expected a metric name at column 1"),
            (3, "expected a label name or '}' at column 3"),
            (4, "expected ',' or '}' after the value of label \"a\" at column 9"),
            (5, "expected '=' after label name \"a\" at column 5"),
            (6, "expected '\"' to open the value of label \"a\" at column 5"),
            (7, "expected a space before the value at column 9"),
            (8, "duplicate label name \"a\""),
            (9, "duplicate label name \"__name__\""),
            (10, "expected a value at column 2"),
            (11, "expected an end of line or an exemplar ('#') at column 7"),
            (12, "unknown metric type \"bogus\" at column 10"),
            (13, "expected a valid metric name after \"# TYPE\" at column 8"),
            (14, "expected an integer timestamp in milliseconds at column 12, found \"abc\""),
            (15, "the value of label \"a\" at column 7 is not valid UTF-8"),
        ]
        #expect(r.rejected.map(\.line) == expected.map(\.0))
        #expect(r.rejected.map(\.reason) == expected.map(\.1))
        #expect(r.rejected.first?.text == "{a=\"b\"} 1")
        #expect(r.rejected.last?.text == "bad{a=\"\u{FFFD}\u{FFFD}\"} 1")
        #expect(p.linesRead == 16)
    }

    @Test func seriesAreCachedByRawBytesAndDeduplicatedByLabels() {
        let r = parseProm(
            """
            m{a="1",b="2"} 1 1
            m{a="1",b="2"} 2 2
            m{b="2",a="1"} 3 3
            m{a="1", b="2"} 4 4
            m{a="1",b="2",c=""} 5 5
            m{a="1"} 6 6
            """,
            format: .prometheus
        )
        #expect(r.rejected == [])
        #expect(r.batch.seriesIndex == [0, 0, 0, 0, 0, 1])
        #expect(r.batch.newSeries.count == 2)
        #expect(r.labelsByIndex[0]?.description == "m{a=\"1\", b=\"2\"}")
    }

    @Test func seriesIndexesAreGlobalAcrossBatches() {
        var p = PrometheusTextParser(format: .prometheus, defaultTimestamp: 0)
        var batch = ParsedMetricBatch()
        let first = Array("a 1\nb 2\n".utf8)
        _ = first.withUnsafeBytes { p.parse($0, isFinal: false, into: &batch) }
        #expect(batch.newSeries.map(\.index) == [0, 1])
        batch.removeAll(keepingCapacity: true)
        let second = Array("b 3\nc 4\n".utf8)
        _ = second.withUnsafeBytes { p.parse($0, isFinal: true, into: &batch) }
        #expect(batch.newSeries.map(\.index) == [2])
        #expect(batch.seriesIndex == [1, 2])
        #expect(p.seriesCount == 3)
        #expect(p.labels(ofSeries: 1).metricName == "b")
    }

    static let chunkSample = """
        # HELP x A \\"help\\".
        # TYPE x_seconds histogram
        x_seconds_bucket{le="1",job="a\\"b"} 1 1520879607.5
        x_seconds_bucket{le="+Inf",job="a\\"b"} 2 1520879607.5 # {t="1"} 1
        x_seconds_sum{job="a\\"b"} NaN
        bad line here
        # TYPE c counter
        c_total{x="y"} 1 1.25
        # EOF
        trailing 1

        """

    @Test(arguments: [PrometheusTextParser.Format.automatic, .openMetrics, .prometheus])
    func splittingTheInputAtEveryByteGivesTheSameResult(format: PrometheusTextParser.Format) {
        let bytes = Array(Self.chunkSample.utf8)
        let whole = parseProm(Self.chunkSample, format: format)
        #expect(whole.samples.count >= 2)
        #expect(!whole.rejected.isEmpty)
        for cut in 0...bytes.count {
            let split = parseProm(Self.chunkSample, format: format, cuts: [cut])
            #expect(split.samples == whole.samples, "cut at \(cut)")
            #expect(split.rejected == whole.rejected, "cut at \(cut)")
        }
        // And in three pieces.
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let split = parseProm(Self.chunkSample, format: format, cuts: [cut / 2, cut])
            #expect(split.samples == whole.samples, "cuts at \(cut / 2), \(cut)")
        }
    }

    @Test func automaticDetectionOfTheChunkSample() {
        let r = parseProm(Self.chunkSample)
        #expect(
            r.samples == [
                FlatSample("x_seconds_bucket{job=\"a\\\"b\", le=\"1.0\"}", 1_520_879_607_500, 1),
                FlatSample("x_seconds_bucket{job=\"a\\\"b\", le=\"+Inf\"}", 1_520_879_607_500, 2),
                FlatSample("x_seconds_sum{job=\"a\\\"b\"}", 42, NumberParsing.normalNaN),
                FlatSample("c_total{x=\"y\"}", 1250, 1),
            ]
        )
        #expect(r.rejected.map(\.line) == [6, 10])
    }
}
