import StrataLabels
import StrataMetrics
import StrataQuery
import Testing

@Suite struct EngineSelectorTests {
    @Test func lookbackIsLeftOpenAndStaleMarkersHide() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "up", "job": "a"], every: minute, [1, 2, 3])
        try f.load(["__name__": "up", "job": "b"], every: minute, [5, Sample.staleNaN])
        let e = f.engine()
        // At 2m: a=3; b's newest sample is a stale marker, so b is gone.
        let r = try e.instantQuery(vec("up"), query: "up", at: 2 * minute)
        #expect(vectorValues(r) == ["up{job=\"a\"}": 3])
        // 4m59.999s after the last sample it is still seen; exactly 5m after, not.
        #expect(vectorValues(try e.instantQuery(vec("up", [.equal("job", "a")]), query: "", at: 7 * minute - 1)).count == 1)
        #expect(vectorValues(try e.instantQuery(vec("up", [.equal("job", "a")]), query: "", at: 7 * minute)).isEmpty)
        // Offset and @ move the reference time.
        let off = try e.instantQuery(vec("up", [.equal("job", "a")], offset: minute), query: "", at: 2 * minute)
        #expect(vectorValues(off) == ["up{job=\"a\"}": 2])
        let at = try e.instantQuery(vec("up", [.equal("job", "a")], at: .timestamp(0)), query: "", at: 2 * minute)
        #expect(vectorValues(at) == ["up{job=\"a\"}": 1])
    }

    @Test func rangeQueryWalksTheStepGrid() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "x"], every: 10 * minute, [1, nil, 3])
        let r = try f.engine().rangeQuery(vec("x"), query: "x", start: 0, end: 20 * minute, step: 5 * minute)
        guard case .matrix(let m) = r.value else { Issue.record("not a matrix"); return }
        #expect(m.count == 1)
        // 0 sees 1; at 5m the sample at 0 is exactly 5m old (left-open lookback: gone); 20m sees 3.
        #expect(m[0].timestamps == [0, 20 * minute])
        #expect(m[0].values == [1, 3])
    }

    @Test func tooManySamplesFails() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "x"], every: minute, EngineFixture.series(0, 1, 100))
        let e = f.engine { $0.maxSamples = 50 }
        #expect(throws: QueryError.self) {
            _ = try e.instantQuery(call("count_over_time", range(sel("x"), 100 * minute)), query: "", at: 100 * minute)
        }
        do {
            _ = try e.instantQuery(call("count_over_time", range(sel("x"), 100 * minute)), query: "", at: 100 * minute)
        } catch {
            #expect(error.kind == .tooManySamples)
        }
    }
}

@Suite struct EngineFunctionTests {
    /// name_label_dropping.test: metric_total 0 60 120 every 5m.
    @Test func rateExtrapolatesAndDropsTheName() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "metric_total", "env": "1"], every: 5 * minute, [0, 60, 120])
        let e = f.engine()
        let r = try e.instantQuery(call("rate", range(sel("metric_total"), 10 * minute)), query: "", at: 10 * minute)
        #expect(approx(vectorValues(r)["{env=\"1\"}"], 0.2))
        let last = try e.instantQuery(call("last_over_time", range(sel("metric_total"), 10 * minute)), query: "", at: 10 * minute)
        #expect(vectorValues(last) == ["metric_total{env=\"1\"}": 120])
        // A name-dropping function inside a subquery still drops it.
        let sub = Expr.subquery(
            SubqueryExpr(expr: call("abs", vec("metric_total")), rangeMilliseconds: 10 * minute, stepMilliseconds: nil, range: noRange))
        let r2 = try e.instantQuery(call("last_over_time", sub), query: "", at: 10 * minute)
        #expect(vectorValues(r2) == ["{env=\"1\"}": 120])
    }

    @Test func rateOnNonCounterNameAddsInfo() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "requests"], every: minute, EngineFixture.series(0, 10, 10))
        let q = "rate(requests[5m])"
        let m = MatrixSelector(selector: sel("requests"), rangeMilliseconds: 5 * minute, range: SourceRange(5, 17))
        let r = try f.engine().instantQuery(
            .call(FunctionCall(name: "rate", args: [.matrixSelector(m)], range: SourceRange(0, 18))), query: q, at: 10 * minute)
        #expect(r.infos == [
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"requests\" (1:6)"
        ])
        #expect(approx(vectorValues(r)["{}"], 10.0 / 60))
    }

    @Test func increaseHandlesCounterResets() throws {
        let f = try EngineFixture()
        // 0 10 20 5 15 at 1m: increase over the resets = 20 + 15 = 35 over 4m of samples.
        try f.load(["__name__": "c_total"], every: minute, [0, 10, 20, 5, 15])
        let r = try f.engine().instantQuery(call("increase", range(sel("c_total"), 5 * minute)), query: "", at: 4 * minute)
        // Extrapolation: first sample 0 is at the window start +1m > 1.1*avg? avg=1m, threshold 1.1m: 1m < 1.1m so
        // extrapolate to the start, but the zero point of the counter is at 0 -> no extension; end: 0.
        #expect(approx(vectorValues(r)["{}"], 35))
    }

    @Test func derivAndPredictLinear() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "g"], every: minute, EngineFixture.series(0, 60, 10))
        let e = f.engine()
        let d = try e.instantQuery(call("deriv", range(sel("g"), 10 * minute)), query: "", at: 10 * minute)
        #expect(approx(vectorValues(d)["{}"], 1))
        let p = try e.instantQuery(call("predict_linear", range(sel("g"), 10 * minute), num(60)), query: "", at: 10 * minute)
        #expect(approx(vectorValues(p)["{}"], 660))
    }

    @Test func overTimeFunctions() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "v"], every: minute, [1, 5, 2, 2, 8])
        let e = f.engine()
        func at4(_ fn: String) throws -> Double? {
            vectorValues(try e.instantQuery(call(fn, range(sel("v"), 5 * minute)), query: "", at: 4 * minute))["{}"]
        }
        #expect(try at4("avg_over_time") == 3.6)
        #expect(try at4("sum_over_time") == 18)
        #expect(try at4("min_over_time") == 1)
        #expect(try at4("max_over_time") == 8)
        #expect(try at4("count_over_time") == 5)
        #expect(try at4("changes") == 3)
        #expect(try at4("resets") == 1)
        #expect(approx(try at4("stdvar_over_time"), 6.64))
        let q = try e.instantQuery(call("quantile_over_time", num(0.5), range(sel("v"), 5 * minute)), query: "", at: 4 * minute)
        #expect(vectorValues(q)["{}"] == 2)
    }

    @Test func histogramQuantileOnClassicBuckets() throws {
        let f = try EngineFixture()
        for (le, c) in [("0.1", 10.0), ("0.5", 50), ("1", 90), ("+Inf", 100)] {
            try f.load(["__name__": "h_bucket", "le": le, "job": "a"], every: minute, [c])
        }
        let r = try f.engine().instantQuery(call("histogram_quantile", num(0.5), vec("h_bucket")), query: "", at: 0)
        #expect(approx(vectorValues(r)["{job=\"a\"}"], 0.5))
        let r9 = try f.engine().instantQuery(call("histogram_quantile", num(0.9), vec("h_bucket")), query: "", at: 0)
        #expect(approx(vectorValues(r9)["{job=\"a\"}"], 1))
    }

    @Test func labelReplaceAndDuplicates() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "m", "src": "source-value-10", "dst": "original"], every: minute, [1])
        try f.load(["__name__": "m", "src": "source-value-20", "dst": "original"], every: minute, [2])
        let e = f.engine()
        let r = try e.instantQuery(
            call("label_replace", vec("m"), str("dst"), str("destination-value-$1"), str("src"), str("source-value-(.*)")),
            query: "", at: 0)
        #expect(vectorValues(r)["m{dst=\"destination-value-10\", src=\"source-value-10\"}"] == 1)
        #expect(throws: QueryError.self) {
            _ = try e.instantQuery(call("label_replace", vec("m"), str("src"), str(""), str(""), str("")), query: "", at: 0)
        }
    }

    @Test func absentDerivesLabelsFromEqualityMatchers() throws {
        let f = try EngineFixture()
        let r = try f.engine().instantQuery(
            call("absent", vec("nope", [.equal("job", "a"), try LabelMatcher(.regex, "x", "y.*")])), query: "", at: 0)
        #expect(vectorValues(r) == ["{job=\"a\"}": 1])
    }
}

@Suite struct EngineOperatorTests {
    @Test func nameDroppingRules() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "metric_total", "env": "1"], every: 5 * minute, [0, 60, 120])
        try f.load(["__name__": "another_metric_total", "env": "1"], every: 5 * minute, [60, 120, 180])
        let e = f.engine()
        let t = 10 * minute
        #expect(vectorValues(try e.instantQuery(bin(.add, vec("metric_total"), vec("another_metric_total")), query: "", at: t))
            == ["{env=\"1\"}": 300])
        #expect(vectorValues(try e.instantQuery(bin(.lte, vec("metric_total"), vec("another_metric_total")), query: "", at: t))
            == ["metric_total{env=\"1\"}": 120])
        #expect(vectorValues(
            try e.instantQuery(bin(.lte, vec("metric_total"), vec("another_metric_total"), bool: true), query: "", at: t))
            == ["{env=\"1\"}": 1])
        #expect(vectorValues(try e.instantQuery(bin(.mul, vec("metric_total"), num(2)), query: "", at: t)) == ["{env=\"1\"}": 240])
        #expect(vectorValues(try e.instantQuery(.unary(.minus, vec("metric_total"), noRange), query: "", at: t))
            == ["{env=\"1\"}": -120])
    }

    @Test func manyToManyIsAnErrorWithSortedSeries() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "dup_metric", "label": "alpha"], every: 5 * minute, [1])
        try f.load(["__name__": "dup_metric", "label": "beta"], every: 5 * minute, [2])
        try f.load(["__name__": "scalar_metric"], every: 5 * minute, [3])
        let e = f.engine()
        let expr = bin(.gtr, vec("scalar_metric"), vec("dup_metric"), matching: VectorMatching(on: true))
        do {
            _ = try e.instantQuery(expr, query: "", at: 0)
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "found duplicate series for the match group {} on the right hand-side of the operation: "
                + "[{__name__=\"dup_metric\", label=\"alpha\"}, {__name__=\"dup_metric\", label=\"beta\"}];"
                + "many-to-many matching not allowed: matching labels must be unique on one side")
        }
    }

    @Test func groupLeftCopiesIncludedLabels() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "req", "instance": "i1", "path": "/a"], every: minute, [10])
        try f.load(["__name__": "req", "instance": "i1", "path": "/b"], every: minute, [20])
        try f.load(["__name__": "info", "instance": "i1", "version": "v2"], every: minute, [1])
        let m = VectorMatching(cardinality: .manyToOne, on: true, matchingLabels: ["instance"], include: ["version"])
        let r = try f.engine().instantQuery(bin(.mul, vec("req"), vec("info"), matching: m), query: "", at: 0)
        #expect(vectorValues(r) == [
            "{instance=\"i1\", path=\"/a\", version=\"v2\"}": 10, "{instance=\"i1\", path=\"/b\", version=\"v2\"}": 20,
        ])
    }

    @Test func setOperatorsAndFloatEdgeCases() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "a", "k": "1"], every: minute, [1])
        try f.load(["__name__": "a", "k": "2"], every: minute, [2])
        try f.load(["__name__": "b", "k": "2"], every: minute, [5])
        try f.load(["__name__": "b", "k": "3"], every: minute, [6])
        let e = f.engine()
        #expect(vectorValues(try e.instantQuery(bin(.and, vec("a"), vec("b")), query: "", at: 0)) == ["a{k=\"2\"}": 2])
        #expect(vectorValues(try e.instantQuery(bin(.unless, vec("a"), vec("b")), query: "", at: 0)) == ["a{k=\"1\"}": 1])
        #expect(vectorValues(try e.instantQuery(bin(.or, vec("a"), vec("b")), query: "", at: 0)).count == 3)
        let div = try e.instantQuery(bin(.div, num(1), num(0)), query: "", at: 0)
        guard case .scalar(_, let v) = div.value else { Issue.record("not a scalar"); return }
        #expect(v == .infinity)
        let mod = try e.instantQuery(bin(.mod, num(-7), num(3)), query: "", at: 0)
        guard case .scalar(_, let m) = mod.value else { Issue.record("not a scalar"); return }
        #expect(m == -1)
    }
}

@Suite struct EngineAggregationTests {
    @Test func groupingAndOrdering() throws {
        let f = try EngineFixture()
        for (i, (job, inst)) in [("api", "0"), ("api", "1"), ("db", "0")].enumerated() {
            try f.load(["__name__": "r", "job": job, "instance": inst], every: minute, [Double(i + 1) * 10])
        }
        let e = f.engine()
        #expect(vectorValues(try e.instantQuery(agg(.sum, vec("r"), by: ["job"]), query: "", at: 0))
            == ["{job=\"api\"}": 30, "{job=\"db\"}": 30])
        #expect(vectorValues(try e.instantQuery(agg(.avg, vec("r"), by: ["instance"], without: true), query: "", at: 0))
            == ["{job=\"api\"}": 15, "{job=\"db\"}": 30])
        #expect(vectorValues(try e.instantQuery(agg(.count, vec("r")), query: "", at: 0)) == ["{}": 3])
        #expect(vectorValues(try e.instantQuery(agg(.quantile, vec("r"), param: num(0.5)), query: "", at: 0)) == ["{}": 20])
        #expect(approx(vectorValues(try e.instantQuery(agg(.stddev, vec("r")), query: "", at: 0))["{}"], 8.16496580927726))
        let top = try e.instantQuery(agg(.topk, vec("r"), param: num(2)), query: "", at: 0)
        guard case .vector(let v) = top.value else { Issue.record("not a vector"); return }
        #expect(v.map(\.value) == [30, 20])
        let cv = try e.instantQuery(agg(.count_values, vec("r"), param: str("value")), query: "", at: 0)
        #expect(vectorValues(cv) == ["{value=\"10\"}": 1, "{value=\"20\"}": 1, "{value=\"30\"}": 1])
    }

    @Test func sumByNameOfRenamedSeriesCollides() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "metric_total", "env": "1"], every: 5 * minute, [0, 60, 120])
        try f.load(["__name__": "another_metric_total", "env": "1"], every: 5 * minute, [60, 120, 180])
        let e = f.engine()
        let rates = call("rate", range(sel(nil, [.equal("env", "1")]), 10 * minute))
        #expect(throws: QueryError.self) {
            _ = try e.instantQuery(agg(.sum, rates, by: ["__name__"]), query: "", at: 10 * minute)
        }
        let r = try e.instantQuery(agg(.sum, rates, by: ["env"]), query: "", at: 10 * minute)
        #expect(approx(vectorValues(r)["{env=\"1\"}"], 0.4))
    }
}
