import StrataMetrics
import StrataQuery

extension QueryOutput {
    /// A native histogram as Prometheus's API writes it (`jsonutil.MarshalHistogram`):
    /// `{"count":"4","sum":"10","buckets":[[0,"0.5","1","2"],...]}`. Each bucket is
    /// `[boundaries, lower, upper, count]` with boundaries 0 (upper inclusive), 1 (lower inclusive),
    /// 2 (neither) or 3 (both); empty buckets are left out, and so is `buckets` when none remain.
    package static func histogramJSON(_ h: FloatHistogram) -> String {
        var out = "{\"count\":\"" + formatValue(h.count) + "\",\"sum\":\"" + formatValue(h.sum) + "\""
        var first = true
        for b in h.allBuckets() where b.count != 0 {
            out += first ? ",\"buckets\":[" : ","
            first = false
            let boundaries = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : (b.upperInclusive ? 0 : 2)
            out += "[\(boundaries),\"" + formatValue(b.lower) + "\",\"" + formatValue(b.upper) + "\",\""
                + formatValue(b.count) + "\"]"
        }
        if !first { out += "]" }
        return out + "}"
    }

    /// A vector element: `"value":[t,"v"]` for a float, `"histogram":[t,{...}]` for a histogram.
    static func vectorElementJSON(_ e: VectorElement) -> String {
        var out = "{\"metric\":" + jsonLabels(e.labels)
        if let h = e.histogram {
            out += ",\"histogram\":[" + formatTimestamp(e.timestamp) + "," + histogramJSON(h) + "]}"
        } else {
            out += ",\"value\":[" + formatTimestamp(e.timestamp) + ",\"" + formatValue(e.value) + "\"]}"
        }
        return out
    }

    /// A matrix series: `"values"` for its float points and `"histograms"` for its histogram points,
    /// each present when it has points (a series without any keeps an empty `"values"`).
    static func matrixSeriesJSON(_ s: MatrixSeries) -> String {
        var out = "{\"metric\":" + jsonLabels(s.labels)
        if !s.timestamps.isEmpty || s.histograms.isEmpty {
            out += ",\"values\":["
            for k in s.timestamps.indices {
                if k > 0 { out += "," }
                out += "[" + formatTimestamp(s.timestamps[k]) + ",\"" + formatValue(s.values[k]) + "\"]"
            }
            out += "]"
        }
        if !s.histograms.isEmpty {
            out += ",\"histograms\":["
            for k in s.histograms.indices {
                if k > 0 { out += "," }
                out += "[" + formatTimestamp(s.histogramTimestamps[k]) + "," + histogramJSON(s.histograms[k]) + "]"
            }
            out += "]"
        }
        return out + "}"
    }

    /// The table and CSV text of a value: the float, or the histogram in Prometheus's `String()` form.
    static func valueText(_ e: VectorElement) -> String { e.histogram?.description ?? formatValue(e.value) }

    /// A matrix series' points, floats and histograms merged by time, as (timestamp, text).
    static func pointTexts(_ s: MatrixSeries) -> [(Int64, String)] {
        if s.histograms.isEmpty { return s.timestamps.indices.map { (s.timestamps[$0], formatValue(s.values[$0])) } }
        var out: [(Int64, String)] = s.timestamps.indices.map { (s.timestamps[$0], formatValue(s.values[$0])) }
        out += s.histograms.indices.map { (s.histogramTimestamps[$0], s.histograms[$0].description) }
        return out.sorted { $0.0 < $1.0 }
    }
}
