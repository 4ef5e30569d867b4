import Strata
import StrataCLIKit
import StrataLabels
import StrataMetrics
import StrataQuery
import Testing

/// `QueryOutput` against the bytes Prometheus's HTTP API writes (web/api/v1, util/jsonutil).
@Suite("Query output")
struct QueryOutputTests {
    func labels(_ pairs: [(String, String)]) -> Labels {
        Labels(sorted: pairs.map { Label($0.0, $0.1) }.sorted())
    }

    @Test(arguments: [
        (1.0, "1"), (0.1, "0.1"), (-2.5, "-2.5"), (100.0, "100"), (1e20, "100000000000000000000"),
        (1e21, "1e+21"), (1.5e-7, "1.5e-07"), (1e-6, "0.000001"), (123456.789, "123456.789"),
        (0.0, "0"), (-0.0, "-0"), (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
        (2.0 / 3.0, "0.6666666666666666"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func valuesAsGoFormatFloat(v: Double, text: String) {
        #expect(QueryOutput.formatValue(v) == text)
    }

    @Test(arguments: [
        (Int64(1_435_781_451_781), "1435781451.781"), (10_000, "10"), (50, "0.050"), (1_500, "1.500"),
        (1_005, "1.005"), (0, "0"), (-1_500, "-1.500"),
    ])
    func timestampsAsSecondsWithMilliseconds(ms: Int64, text: String) {
        #expect(QueryOutput.formatTimestamp(ms) == text)
    }

    @Test func histogramsUsePrometheusKeysAndBucketArrays() {
        var h = FloatHistogram()
        h.count = 6
        h.sum = 7.5
        h.zeroThreshold = 0.25
        h.zeroCount = 1
        h.positiveSpans = [HistogramSpan(offset: 0, length: 3)]
        h.positiveBuckets = [2, 0, 1]  // (0.5,1], (1,2] empty, (2,4]
        h.negativeSpans = [HistogramSpan(offset: 1, length: 1)]
        h.negativeBuckets = [2]  // [-2,-1)
        let body = #"{"count":"6","sum":"7.5","buckets":[[1,"-2","-1","2"],[3,"-0.25","0.25","1"],[0,"0.5","1","2"],[0,"2","4","1"]]}"#
        #expect(QueryOutput.histogramJSON(h) == body)
        let m = labels([("__name__", "h")])
        let v = QueryResult(value: .vector([VectorElement(labels: m, timestamp: 1_000, value: 0, histogram: h)]))
        #expect(
            QueryOutput.prometheusJSON(v)
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"h"},"histogram":[1,"# + body
                + "]}]}}")
        let mixed = MatrixSeries(labels: m, timestamps: [0], values: [1], histogramTimestamps: [60_000], histograms: [h])
        let onlyHistograms = MatrixSeries(labels: labels([("a", "b")]), histogramTimestamps: [0], histograms: [FloatHistogram()])
        #expect(
            QueryOutput.prometheusJSON(QueryResult(value: .matrix([mixed, onlyHistograms])))
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"h"},"values":[[0,"1"]],"histograms":[[60,"#
                + body + #"]]},{"metric":{"a":"b"},"histograms":[[0,{"count":"0","sum":"0"}]]}]}}"#)
        #expect(QueryOutput.table(v).contains("{count:6, sum:7.5, [-2,-1):2, [-0.25,0.25]:1, (0.5,1]:2, (2,4]:1}"))
    }

    @Test func vectorBodyIsPrometheusBytes() {
        let r = QueryResult(
            value: .vector([
                VectorElement(labels: labels([("__name__", "up"), ("job", "node"), ("instance", "a:9100")]), timestamp: 1_435_781_451_781, value: 1),
                VectorElement(labels: labels([("job", "x<&>\"q\"\n")]), timestamp: 1_435_781_451_781, value: .nan),
            ]))
        #expect(
            QueryOutput.prometheusJSON(r)
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"a:9100","job":"node"},"value":[1435781451.781,"1"]},{"metric":{"job":"x\u003c\u0026\u003e\"q\"\n"},"value":[1435781451.781,"NaN"]}]}}"#
        )
    }

    @Test func matrixScalarStringAndEmptyBodies() {
        let m = QueryResult(
            value: .matrix([MatrixSeries(labels: labels([("a", "b")]), timestamps: [0, 15_000], values: [.infinity, -0.5])]))
        #expect(
            QueryOutput.prometheusJSON(m)
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[0,"+Inf"],[15,"-0.5"]]}]}}"#)
        #expect(
            QueryOutput.prometheusJSON(QueryResult(value: .scalar(timestamp: 1_000, value: 2)))
                == #"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#)
        #expect(
            QueryOutput.prometheusJSON(QueryResult(value: .string(timestamp: 1_000, value: "a\tb")))
                == #"{"status":"success","data":{"resultType":"string","result":[1,"a\tb"]}}"#)
        #expect(
            QueryOutput.prometheusJSON(QueryResult(value: .vector([])))
                == #"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
    }

    @Test func warningsInfosAndLimit() {
        let v = (0..<3).map { VectorElement(labels: labels([("i", "\($0)")]), timestamp: 0, value: Double($0)) }
        let r = QueryResult(value: .vector(v), warnings: ["PromQL warning: w (1:1)"], infos: ["PromQL info: i (1:1)"])
        #expect(
            QueryOutput.prometheusJSON(r, limit: 2)
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"i":"0"},"value":[0,"0"]},{"metric":{"i":"1"},"value":[0,"1"]}]},"warnings":["PromQL warning: w (1:1)","results truncated due to limit"],"infos":["PromQL info: i (1:1)"]}"#
        )
    }

    @Test func tableAlignsLabelsAndValues() {
        let r = QueryResult(
            value: .vector([
                VectorElement(labels: labels([("__name__", "node_load1"), ("instance", "a")]), timestamp: 0, value: 0.5),
                VectorElement(labels: labels([("__name__", "node_load1"), ("instance", "bbbb"), ("job", "n")]), timestamp: 0, value: 12.25),
            ]))
        #expect(
            QueryOutput.table(r) == """
                __name__    instance  job  value
                node_load1  a                0.5
                node_load1  bbbb      n    12.25
                """)
        #expect(QueryOutput.table(QueryResult(value: .vector([]))) == "(no series)")
    }

    @Test func csvQuotesAndOneRowPerSample() {
        let m = QueryResult(
            value: .matrix([MatrixSeries(labels: labels([("a", "x,\"y\"")]), timestamps: [1_000, 2_500], values: [1, 2])]))
        #expect(QueryOutput.csv(m) == "a,timestamp,value\n\"x,\"\"y\"\"\",1,1\n\"x,\"\"y\"\"\",2.500,2\n")
    }
}
