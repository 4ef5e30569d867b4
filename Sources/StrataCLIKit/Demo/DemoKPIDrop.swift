/// The sharpest fall of a KPI series (such as `call_success_rate`) and how it recovered, as the demo
/// reports it: "fell from 98.1 at 22:30 to 23.4 at 22:31; back to 95.0 (within 5 of before) at 23:05".
package struct DemoKPIDrop: Equatable, Sendable {
    /// The median of the points before the fall: what the KPI usually is.
    package var baseline: Double
    /// The last point before the fall (time ms, value).
    package var before: (time: Int64, value: Double)
    /// The first point of the fall: the first that is below the baseline by more than half the dip.
    package var fallen: (time: Int64, value: Double)
    /// The lowest point.
    package var lowest: (time: Int64, value: Double)
    /// The first point after the lowest within `tolerance` of the baseline; nil when it never got back.
    package var recovered: (time: Int64, value: Double)?

    package static func == (a: DemoKPIDrop, b: DemoKPIDrop) -> Bool {
        a.baseline == b.baseline && a.before == b.before && a.fallen == b.fallen && a.lowest == b.lowest
            && a.recovered?.time == b.recovered?.time && a.recovered?.value == b.recovered?.value
    }

    /// Finds the fall in `values` at `timestamps` (ms, ascending). Nil when there are fewer than three
    /// finite points or the lowest point is not below the baseline by more than `minimumDip`.
    package static func find(
        timestamps: [Int64], values: [Double], minimumDip: Double = 5, tolerance: Double = 5
    ) -> DemoKPIDrop? {
        let points = zip(timestamps, values).filter { $0.1.isFinite }
        guard points.count >= 3 else { return nil }
        var low = 0
        for i in points.indices where points[i].1 < points[low].1 { low = i }
        guard low > 0 else { return nil }
        let earlier = points[..<low].map(\.1).sorted()
        let baseline = earlier[earlier.count / 2]
        let dip = baseline - points[low].1
        guard dip > minimumDip else { return nil }
        var fall = low
        while fall > 0 && points[fall - 1].1 < baseline - dip / 2 { fall -= 1 }
        guard fall > 0 else { return nil }
        let recovery = points[(low + 1)...].first { $0.1 >= baseline - tolerance }
        return DemoKPIDrop(
            baseline: baseline, before: (points[fall - 1].0, points[fall - 1].1), fallen: (points[fall].0, points[fall].1),
            lowest: (points[low].0, points[low].1), recovered: recovery.map { ($0.0, $0.1) })
    }
}
