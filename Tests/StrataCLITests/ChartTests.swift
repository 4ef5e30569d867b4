import Strata
import StrataCLIKit
import Testing

/// The terminal charts are pure functions from numbers to strings.
@Suite("charts")
struct ChartTests {
    @Test func sparklineScalesBetweenMinAndMax() {
        #expect(Sparkline.render([1, 2, 3, 2, 1]) == "▁▅█▅▁")
        #expect(Sparkline.render([5, 5, 5]) == "▁▁▁")
        #expect(Sparkline.render([0, .nan, 7]) == "▁ █")
        #expect(Sparkline.render([.nan, .infinity]) == "  ")
        #expect(Sparkline.render([]) == "")
    }

    @Test func sparklineBucketsLongInputs() {
        #expect(Sparkline.bucketMeans([1, 3, 5, 7, 9, 11], count: 3) == [2, 6, 10])
        #expect(Sparkline.bucketMeans([1, 2], count: 5) == [1, 2])
        let wide = Sparkline.render((0..<1000).map(Double.init), width: 8)
        #expect(wide.count == 8)
        #expect(wide.first == "▁" && wide.last == "█")
    }

    @Test func brailleLineDotsAndJoins() {
        // 2 cells x 1 row = 4x4 dots; the points (0,0) (1,1) (2,2) (3,3) from the bottom left.
        let chart = BrailleChart(width: 4, height: 1)
        let rising = chart.render(timestamps: [0, 1, 2, 3], values: [0, 1, 2, 3], start: 0, end: 7)
        // width is clamped to 4 cells: x = round(t/7*7): dots at columns 0..3, rows from the bottom 0..3.
        #expect(rising[0].hasSuffix("┤⡠⠊⠀⠀"))
        // A flat series sits on the lower middle dot row (1 of 0...3); a gap longer than maxGap is not joined.
        let gap = BrailleChart(width: 4, height: 1).render(
            timestamps: [0, 7], values: [1, 1], start: 0, end: 7, maxGap: 1)
        #expect(gap[0].hasSuffix("┤⠄⠀⠀⠠"))
        let joined = BrailleChart(width: 4, height: 1).render(timestamps: [0, 7], values: [1, 1], start: 0, end: 7)
        #expect(joined[0].hasSuffix("┤⠤⠤⠤⠤"))
    }

    @Test func brailleLabelsAxisAndTimes() {
        let start: Int64 = 1_574_197_200_000  // 2019-11-19T21:00:00Z
        let ts = (0..<20).map { start + Int64($0) * 60_000 }
        let lines = BrailleChart(width: 40, height: 3).render(
            timestamps: ts, values: ts.indices.map { Double($0 * $0) }, start: ts[0], end: ts[19], maxGap: 90_000)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("361 ┤"))
        #expect(lines[1].hasPrefix("    │"))
        #expect(lines[2].hasPrefix("  0 ┤"))
        #expect(lines[3] == "    └" + String(repeating: "─", count: 40))
        #expect(lines[4].hasPrefix("     21:00"))
        #expect(lines[4].hasSuffix("21:19"))
        #expect(lines[4].contains("21:09"))
        for l in lines.prefix(3) { #expect(l.count == 5 + 40) }
        var padded = BrailleChart(width: 40, height: 3)
        padded.minimumLabelWidth = 6
        let aligned = padded.render(timestamps: ts, values: ts.indices.map { Double($0) }, start: ts[0], end: ts[19])
        #expect(aligned[0].hasPrefix("    19 ┤") && aligned[2].hasPrefix("     0 ┤") && aligned[3].hasPrefix("       └"))
    }

    @Test func brailleSurvivesEmptyAndNonFiniteInput() {
        let empty = BrailleChart(width: 10, height: 2).render(timestamps: [], values: [], start: 0, end: 0)
        #expect(empty[0].hasSuffix(String(repeating: "⠀", count: 10)))
        let odd = BrailleChart(width: 10, height: 2).render(
            timestamps: [0, 1, 2], values: [.nan, .infinity, 4], start: 0, end: 2)
        #expect(odd.count == 4)
        #expect(odd[0].hasPrefix("4 ┤"))
        // Mismatched lengths use the shorter.
        _ = BrailleChart(width: 10, height: 2).render(timestamps: [0, 1, 2], values: [1], start: 0, end: 2)
    }

    @Test func summaryOfFiniteValues() {
        let s = ChartSummary([3, .nan, -1, 8, 2, .nan])
        #expect(s == ChartSummary([-1, 8, 2]))
        #expect(s?.min == -1 && s?.max == 8 && s?.last == 2)
        #expect(s?.caption == "min -1  max 8  last 2")
        #expect(ChartSummary([.nan]) == nil)
    }

    @Test func barsForCountsOverTime() {
        let start: Int64 = 1_574_197_200_000
        let lines = BarChart(height: 1).render(counts: [0, 4, 8, 2], start: start, end: start + 180_000)
        #expect(lines[0] == "8 ┤ ▄█▂")
        let tall = BarChart(height: 2).render(counts: [1, 16, 8], start: start, end: start + 120_000)
        #expect(tall[0] == "16 ┤ █ ")
        #expect(tall[1] == " 0 ┤▁██")
        #expect(tall[2] == "   └───")
        #expect(BarChart(maxWidth: 4).merged([1, 1, 1, 1, 1, 1, 1, 1]) == [2, 2, 2, 2])
        #expect(BarChart(maxWidth: 4).merged([-3, .nan, 2]) == [0, 0, 2])
    }

    @Test(arguments: [
        (0.0, "0"), (1234, "1.23k"), (0.5, "0.5"), (45_600_000, "45.6M"), (0.00002, "2e-5"), (-1500, "-1.5k"),
        (999.96, "1k"), (100, "100"), (12.345, "12.3"), (3e9, "3G"), (1e16, "1e16"), (.nan, "NaN"),
        (-.infinity, "-Inf"),
    ])
    func chartNumbers(_ value: Double, _ text: String) {
        #expect(ChartNumber.format(value) == text)
    }

    @Test func timeAxisLabelsFollowTheSpan() {
        let t: Int64 = 1_574_197_200_000
        #expect(TimeAxis.label(t + 5_000, span: 60_000) == "21:00:05")
        #expect(TimeAxis.label(t, span: 3_600_000) == "21:00")
        #expect(TimeAxis.label(t, span: 7 * 86_400_000) == "11-19 21:00")
        let line = TimeAxis.line(from: t, to: t + 3_600_000, width: 30)
        #expect(line.count == 30)
        #expect(line.hasPrefix("21:00") && line.hasSuffix("22:00") && line.contains("21:30"))
        #expect(TimeAxis.line(from: t, to: t + 3_600_000, width: 8) == "21:00")
    }
}

/// Log-line highlighting the logs mode draws with (trace waterfalls are `TraceOutput.tree`).
@Suite("highlighting")
struct HighlightTests {
    @Test func highlightFindsAndMergesMatches() {
        let line = "ERROR oslo.messaging: AMQP server unreachable; error again"
        let r = TextHighlight.ranges(of: ["error", "AMQP server"], in: line, caseInsensitive: true)
        #expect(r == [0..<5, 22..<33, 47..<52])
        #expect(TextHighlight.ranges(of: ["error"], in: line) == [47..<52])
        #expect(TextHighlight.ranges(of: ["ab", "bc"], in: "abc") == [0..<3])
        #expect(TextHighlight.ranges(of: [""], in: "abc").isEmpty)
        #expect(
            TextHighlight.apply(r, to: line) { "[" + $0 + "]" }
                == "[ERROR] oslo.messaging: [AMQP server] unreachable; [error] again")
        // Multi-byte text keeps its characters whole.
        let u = "größe ✗ fehler ✗"
        #expect(
            TextHighlight.apply(TextHighlight.ranges(of: ["✗"], in: u), to: u) { "<\($0)>" } == "größe <✗> fehler <✗>")
    }
}
