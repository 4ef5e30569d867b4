import StrataLogs
import StrataMetrics
import Testing

@testable import StrataQuery

@Suite struct LogQLParserTests {
    func selector(_ q: String) throws -> LogSelectorExpr {
        guard case .logs(let s) = try LogQL.parse(q) else {
            Issue.record("not a log query: \(q)")
            throw QueryError(.parse, "not a log query")
        }
        return s
    }

    @Test func streamSelectorsLineAndLabelFilters() throws {
        let s = try selector(
            #"{host="wally113", program=~"nova-.*", level!="DEBUG", file!~"x.*"} |= "ERROR" != "DEBUG" |~ "fail(ed|ure)" !~ `(?i)retry` | request_id="req-1" | http_status >= 500 and http_time > 1500ms, level=~"ERROR|CRITICAL""#)
        #expect(s.streams.map(\.description) == [#"host="wally113""#, #"program=~"nova-.*""#, #"level!="DEBUG""#, #"file!~"x.*""#])
        #expect(
            s.lineFilters == [
                LineFilter(.contains, "ERROR"), LineFilter(.notContains, "DEBUG"), LineFilter(.matches, "fail(ed|ure)"),
                LineFilter(.notMatches, "(?i)retry", caseInsensitive: true),
            ])
        #expect(
            s.fieldFilters == [
                FieldFilter("request_id", .equal, .string("req-1")), FieldFilter("http_status", .greaterOrEqual, .number(500)),
                FieldFilter("http_time", .greater, .duration(1.5)), FieldFilter("level", .regex, .string("ERROR|CRITICAL")),
            ])
        let q = s.logQuery(start: 10, end: 20, limit: 5)
        #expect(q.start == 10 && q.end == 20 && q.limit == 5 && q.direction == .backward)
        #expect(q.lineFilters.count == 4 && q.fieldFilters.count == 4 && q.streams.count == 4)
    }

    @Test func orGroupsExpandIntoStoreQueries() throws {
        let s = try selector(#"{host="a"} | level="ERROR" | user="u1" or project="p1" and http_status>=500"#)
        #expect(s.fieldFilters == [FieldFilter("level", .equal, .string("ERROR"))])
        #expect(
            s.alternatives == [[
                [FieldFilter("user", .equal, .string("u1"))],
                [FieldFilter("project", .equal, .string("p1")), FieldFilter("http_status", .greaterOrEqual, .number(500))],
            ]])
        let qs = s.logQueries(start: 0, end: 1, limit: 10)
        #expect(qs.map(\.fieldFilters.count) == [2, 3])
        #expect(s.description == #"{host="a"} | level="ERROR" | user="u1" or project="p1" and http_status>=500"#)
    }

    @Test func caseInsensitiveLiteral() throws {
        let s = try selector(#"{program="nova-api"} |= "(?i)error""#)
        #expect(s.lineFilters == [LineFilter(.contains, "error", caseInsensitive: true)])
        #expect(s.description == #"{program="nova-api"} |= "(?i)error""#)
    }

    @Test func metricQueriesOverLogs() throws {
        guard case .metric(let e) = try LogQL.parse(#"sum by (host) (count_over_time({level="ERROR"} |= "x" [1m]))"#) else {
            Issue.record("expected a metric query")
            return
        }
        guard case .aggregate(let a) = e, case .extension(let x) = a.expr, let r = x as? LogRangeAggregation else {
            Issue.record("unexpected tree \(e)")
            return
        }
        #expect(a.grouping == ["host"])
        #expect(r.function == .count_over_time)
        #expect(r.rangeMilliseconds == 60_000)
        #expect(r.selector.lineFilters == [LineFilter(.contains, "x")])
        for q in [
            #"rate({program="haproxy"}[5m])"#, #"bytes_over_time({host="a"}[1h] offset 5m)"#, #"bytes_rate(({host="a"} |= "b")[30s])"#,
            #"topk(3, sum by (program) (rate({level=~"ERROR|CRITICAL"}[5m])))"#,
            #"count_over_time({host="a"}[1m]) / 60"#, #"avg without (file) (count_over_time({host="a"} | http_status >= 500 [1m]))"#,
        ] {
            guard case .metric = try LogQL.parse(q) else {
                Issue.record("not a metric query: \(q)")
                continue
            }
        }
    }

    @Test(arguments: [
        (#"{host="a"} |= 5"#, "parse error at column 15: unexpected number \"5\" in line filter, expected string"),
        (#"{host=""}"#, "parse error at column 1: queries require at least one regexp or equality matcher that does not have an empty-compatible value"),
        (#"{host="a"} | json"#, "parse error at column 14: pipeline stage \"json\" is not supported: fields are extracted at ingest; filter them directly (| http_status >= 500)"),
        (#"count_over_time({host="a"} | a="x" or b="y" [1m])"#, "parse error at column 36: 'or' between label filters is only supported in log queries; in a metric query use a regex (=~\"a|b\") or add two queries"),
        (#"{host="a"} | status > "x""#, "parse error at column 23: operator > compares numbers or durations, not strings"),
        (#"{host="a"}[5m]"#, "parse error at column 11: a log range needs a function around it, e.g. count_over_time({host=\"a\"}[5m])"),
        (#"sum({host="a"})"#, "parse error at column 5: a log selector here needs a range aggregation, e.g. count_over_time({...}[1m]); a log query must be the whole query"),
        (#"count_over_time({host="a"})"#, "parse error at column 27: unexpected \")\" in log range aggregation, expected a range such as [5m]"),
        (#"{host="a"} |~ "(" |= "x""#, "parse error at column 15: invalid regular expression \"(\": Unmatched ( or \\("),
        (#"{host="a"} |~ "x" |"#, "parse error at column 20: unexpected end of input after \"|\", expected a label filter such as request_id=\"req-...\" (parser stages like json or logfmt are not supported: fields are extracted at ingest)"),
    ])
    func errorsPointAtTheColumn(query: String, message: String) {
        do {
            _ = try LogQL.parse(query)
            Issue.record("parsed: \(query)")
        } catch {
            #expect(error.description.split(separator: "\n").first.map(String.init) == message)
            #expect(error.description.contains("^"))
        }
    }

    @Test func dispatchRule() {
        #expect(LogQL.looksLikeLogQL(#"{host="a"} |= "x""#))
        #expect(LogQL.looksLikeLogQL(#"{host="a"} != "x""#))
        #expect(LogQL.looksLikeLogQL(#"{host="a"} | level="ERROR""#))
        #expect(LogQL.looksLikeLogQL(#"sum(bytes_rate({host="a"}[1m]))"#))
        #expect(!LogQL.looksLikeLogQL(#"{host="a"}"#))
        #expect(!LogQL.looksLikeLogQL(#"rate(node_cpu_seconds_total{mode!="idle"}[5m])"#))
        #expect(!LogQL.looksLikeLogQL(#"up != 1"#))
        #expect(!LogQL.looksLikeLogQL(#"count_over_time({job="x"}[5m])"#))
        #expect(!LogQL.looksLikeLogQL(#"label_replace(up, "a", "x|y", "b", ".*")"#))
    }

    @Test func promQLStillRefusesPipes() throws {
        #expect(throws: QueryError.self) { try PromQL.parse(#"{a="b"} |= "x""#) }
        #expect(throws: QueryError.self) { try PromQL.parse(#"up =~ "x""#) }
    }
}
