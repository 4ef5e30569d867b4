import StrataMetrics
import Testing

@testable import StrataQuery

/// The experimental query-context functions (start, end, range, step) and min_of/max_of.
@Suite struct QueryContextFunctionTests {
    private func values(_ r: QueryResult) -> [Double] {
        switch r.value {
        case .matrix(let m): m.first?.values ?? []
        case .scalar(_, let v): [v]
        default: []
        }
    }

    @Test func answerWithTheQuerysOwnWindow() throws {
        let f = try EngineFixture()
        let e = f.engine { $0.enableExperimentalFunctions = true }
        #expect(values(try e.rangeQuery("step()", start: 100_000, end: 110_000, step: 5_000)) == [5, 5, 5])
        #expect(values(try e.rangeQuery("range()", start: 10_000, end: 50_000, step: 10_000)) == [40, 40, 40, 40, 40])
        #expect(values(try e.rangeQuery("end() - start()", start: 20_000, end: 50_000, step: 10_000)) == [30, 30, 30, 30])
        #expect(values(try e.instantQuery("step()", at: 100_000)) == [0])
        #expect(values(try e.instantQuery("start()", at: 100_000)) == [100])
        #expect(values(try e.instantQuery("min_of(5, 3) + max_of(-2, -5)", at: 0)) == [1])
        #expect(values(try e.instantQuery("max_of(NaN, 3)", at: 0)).first?.isNaN == true)
    }
}
