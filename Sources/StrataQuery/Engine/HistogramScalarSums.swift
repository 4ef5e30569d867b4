import StrataMetrics

/// One scalar field summed with Kahan compensation, and averaged as the float `avg` does (direct
/// mean until the sum overflows, then an incremental mean).
struct CompensatedField {
    private var kahanSum = 0.0, kahanC = 0.0
    private var sum = 0.0, c = 0.0, n = 0.0, mean = 0.0
    private var incremental = false

    mutating func add(_ f: Double) {
        (kahanSum, kahanC) = kahanSumInc(f, kahanSum, kahanC)
        n += 1
        if n == 1 {
            sum = f
            return
        }
        if !incremental {
            let (ns, nc) = kahanSumInc(f, sum, c)
            if !ns.isInfinite {
                sum = ns
                c = nc
                return
            }
            incremental = true
            mean = sum / (n - 1)
            c /= n - 1
        }
        let q = (n - 1) / n
        (mean, c) = kahanSumInc(f / n, q * mean, q * c)
    }

    var total: Double { kahanSum.isInfinite ? kahanSum : kahanSum + kahanC }
    var average: Double { incremental ? mean + c : sum / n + c / n }
}

/// The count, sum and zero count of histograms being summed or averaged, compensated: Prometheus
/// sums histograms with Kahan summation, so `1e100 + x - 1e100` keeps `x`. Bucket counts are added
/// by `FloatHistogram.adding` (their layouts may change on the way).
struct HistogramScalarSums {
    private var count = CompensatedField()
    private var sum = CompensatedField()
    private var zero = CompensatedField()
    private var zeroThreshold: Double?
    private var zeroThresholdsAgree = true

    mutating func add(_ h: FloatHistogram) {
        count.add(h.count)
        sum.add(h.sum)
        zero.add(h.zeroCount)
        if let z = zeroThreshold, z != h.zeroThreshold { zeroThresholdsAgree = false }
        zeroThreshold = h.zeroThreshold
    }

    /// Replaces the naively combined fields of `h` with the compensated total or mean.
    func apply(to h: inout FloatHistogram, mean: Bool) {
        h.count = mean ? count.average : count.total
        h.sum = mean ? sum.average : sum.total
        if zeroThresholdsAgree && h.zeroThreshold == zeroThreshold { h.zeroCount = mean ? zero.average : zero.total }
    }
}
