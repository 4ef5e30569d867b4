import StrataMetrics
import Testing

@testable import StrataQuery

@Suite struct ParserTests {
    /// Valid queries and the text Prometheus prints for them (precedence shown by the tree, see below).
    @Test(arguments: [
        ("foo", "foo"),
        ("foo:bar:rate5m", "foo:bar:rate5m"),
        (#"foo{a="b", c!="d", e=~"f.*", g!~'h'}"#, #"foo{a="b",c!="d",e=~"f.*",g!~"h"}"#),
        (#"{__name__=~"foo.*"}"#, #"{__name__=~"foo.*"}"#),
        (#"{"my.metric", "my.label"="x"}"#, #"{"my.label"="x",__name__="my.metric"}"#),
        (#"foo{a="b",}"#, #"foo{a="b"}"#),
        ("foo[5m]", "foo[5m]"),
        ("foo[300]", "foo[5m]"),
        ("foo[1h30m]", "foo[1h30m]"),
        ("foo offset 5m", "foo offset 5m"),
        ("foo offset -5m", "foo offset -5m"),
        ("foo offset 5", "foo offset 5s"),
        ("foo @ 100", "foo @ 100.000"),
        ("foo @ -100.5", "foo @ -100.500"),
        ("foo @ start()", "foo @ start()"),
        ("foo[5m] @ end() offset 1m", "foo[5m] @ end() offset 1m"),
        ("foo[5m] offset 1m @ 10", "foo[5m] @ 10.000 offset 1m"),
        ("rate(foo[5m])[1h:5m]", "rate(foo[5m])[1h:5m]"),
        ("foo[1h:]", "foo[1h:]"),
        ("foo[1h:] offset 5m @ 7", "foo[1h:] @ 7.000 offset 5m"),
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("-2 ^ 2", "-2 ^ 2"),
        ("0x1F", "31"),
        ("1e3", "1000"),
        ("5m", "300"),
        ("Inf", "+Inf"),
        ("-Inf", "-Inf"),
        ("NaN", "NaN"),
        (#""a\tb""#, #""a\tb""#),
        ("`raw\\`", #""raw\\""#),
        ("a > bool 1", "a > bool 1"),
        ("a + on(x, y) group_left(z) b", "a + on (x, y) group_left (z) b"),
        ("a + ignoring(x) group_right b", "a + ignoring (x) group_right () b"),
        ("a and on() b", "a and on () b"),
        ("a or b unless c", "a or b unless c"),
        ("sum by (job) (rate(x[5m]))", "sum by (job) (rate(x[5m]))"),
        ("sum(rate(x[5m])) without (job, instance)", "sum without (job, instance) (rate(x[5m]))"),
        ("SUM BY (on, by, sum) (x)", "sum by (on, by, sum) (x)"),
        ("sum by () (x)", "sum(x)"),
        ("topk(5, x)", "topk(5, x)"),
        (#"count_values("v", x)"#, #"count_values("v", x)"#),
        ("quantile(0.9, x)", "quantile(0.9, x)"),
        ("sum", "sum"),
        ("sum + by", "sum + by"),
        ("offset offset 5m", "offset offset 5m"),
        ("x and and", "x and and"),
        (#"label_join(x, "d", ",", "a", "b", "c")"#, #"label_join(x, "d", ",", "a", "b", "c")"#),
        ("round(x)", "round(x)"),
        ("time()", "time()"),
        ("vector(1) # a comment", "vector(1)"),
        ("(((foo)))", "(((foo)))"),
        ("-foo", "-foo"),
        ("- - 1", "1"),
        ("+1", "1"),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))"),
        ("absent_over_time(nonexistent{job=\"a\"}[1h])", "absent_over_time(nonexistent{job=\"a\"}[1h])"),
        ("1 < bool 2", "1 < bool 2"),
        ("foo atan2 bar", "foo atan2 bar"),
        ("foo @ 1m", "foo @ 60.000"),
        ("h </ 2", "h </ 2"),
        ("h >/ on (a) t", "h >/ on (a) t"),
        ("h < 2 / 3", "h < 2 / 3"),
        // Duration expressions: known ones become plain spans; step()/range() ones print as written.
        ("rate(x[2m*(10+5)])", "rate(x[30m])"),
        ("x[29s+1s:5s+5s] offset (1h/2)", "x[30s:10s] offset 30m"),
        ("x[1001ms]", "x[1s1ms]"),
        ("count_over_time(x[step()+1ms])", "count_over_time(x[(step() + 1ms)])"),
        ("x offset -min_of(STEP(), 1s)", "x offset -(min_of(step(), 1s))"),
        ("sum_over_time(x[range():max_of(step(), 5s)])", "sum_over_time(x[range():max_of(step(), 5s)])"),
        // Fill modifiers; `fill` without "(" is a metric.
        ("a + fill(0) b", "a + fill(0) b"),
        ("a / on (s) group_left fill_right(1) b", "a / on (s) group_left () fill_right(1) b"),
        ("a + fill_left(5) fill_right(-Inf) b", "a + fill_left(5) fill_right(-Inf) b"),
        ("fill + fill(NaN) fill", "fill + fill(NaN) fill"),
        ("a == bool fill(30) b", "a == bool fill(30) b"),
    ])
    func parsesAndPrints(query: String, printed: String) throws {
        let expr = try PromQL.parse(query)
        #expect(expr.description == printed)
        #expect(try PromQL.parse(printed).description == printed)
    }

    /// Precedence and associativity, shown by full parenthesisation of the tree.
    @Test(arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 * 2 + 3", "((1 * 2) + 3)"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-2 ^ 2", "-(2 ^ 2)"),
        ("-a * b", "(-a * b)"),
        ("a * -b ^ c", "(a * -(b ^ c))"),
        ("2 ^ -1 * 3", "((2 ^ -1) * 3)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b unless c", "((a and b) unless c)"),
        ("a == b + c", "(a == (b + c))"),
        ("a > b and c < d", "((a > b) and (c < d))"),
        ("a / b % c atan2 d", "(((a / b) % c) atan2 d)"),
        ("a + b offset 5m", "(a + b offset 5m)"),
        ("-foo offset 5m", "-foo offset 5m"),
        ("x offset 100 + 2", "(x offset 1m40s + 2)"),
        ("x offset -2 ^ 2", "(x offset -2s ^ 2)"),
        ("x offset step() * 0", "(x offset step() * 0)"),
    ])
    func precedence(query: String, tree: String) throws {
        #expect(Self.tree(try PromQL.parse(query)) == tree)
    }

    static func tree(_ e: Expr) -> String {
        switch e {
        case .binary(let b): "(\(tree(b.lhs)) \(b.op.rawValue) \(tree(b.rhs)))"
        case .unary(let op, let inner, _): op.rawValue + tree(inner)
        default: e.description
        }
    }

    @Test func selectorShape() throws {
        guard case .matrixSelector(let m) = try PromQL.parse(#"foo{a="b"}[5m] offset -1h @ 1609746000"#) else {
            Issue.record("not a matrix selector")
            return
        }
        #expect(m.rangeMilliseconds == 300_000)
        #expect(m.selector.name == "foo")
        #expect(m.selector.offset == -3_600_000)
        #expect(m.selector.at == .timestamp(1_609_746_000_000))
        #expect(m.selector.matchers.map(\.description) == [#"a="b""#, #"__name__="foo""#])
    }

    @Test func matchingAndTypes() throws {
        guard case .binary(let b) = try PromQL.parse("a and b") else { return }
        #expect(b.matching?.cardinality == .manyToMany)
        guard case .binary(let s) = try PromQL.parse("1 + on() a") else { return }
        #expect(s.matching == nil)
        guard case .binary(let v) = try PromQL.parse("a / on(x) group_left(y) b") else { return }
        #expect(v.matching?.cardinality == .manyToOne)
        #expect(v.matching?.on == true)
        #expect(v.matching?.matchingLabels == ["x"])
        #expect(v.matching?.include == ["y"])
        #expect(PromQL.type(of: try PromQL.parse("1 + 2")) == .scalar)
        #expect(PromQL.type(of: try PromQL.parse("1 + a")) == .vector)
        #expect(PromQL.type(of: try PromQL.parse("a[5m]")) == .matrix)
        #expect(PromQL.type(of: try PromQL.parse("scalar(a)")) == .scalar)
        #expect(PromQL.type(of: try PromQL.parse(#""s""#)) == .string)
        #expect(PromQL.type(of: try PromQL.parse("rate(a[5m])[1h:]")) == .matrix)
    }

    @Test func experimentalFunctionsCanBeRejected() throws {
        _ = try PromQL.parse("mad_over_time(a[5m])")
        #expect(throws: QueryError.self) { try PromQL.parse("mad_over_time(a[5m])", enableExperimentalFunctions: false) }
        #expect(throws: QueryError.self) { try PromQL.parse("limitk(1, a)", enableExperimentalFunctions: false) }
        _ = try PromQL.parse("limitk(1, a)")
    }

    /// Invalid queries: the message (Prometheus's wording) and the 1-based column of the caret.
    @Test(arguments: [
        ("", "no expression found in input", 1),
        ("foo{a}", #"unexpected "}" in label matching, expected label matching operator"#, 6),
        ("foo{a=}", #"unexpected "}" in label matching, expected string"#, 7),
        (#"foo{a="b" c="d"}"#, #"unexpected identifier "c" in label matching, expected "," or "}""#, 11),
        ("foo{,}", #"unexpected "," in label matching, expected identifier or "}""#, 5),
        ("{}", "vector selector must contain at least one non-empty matcher", 1),
        (#"{a=""}"#, "vector selector must contain at least one non-empty matcher", 1),
        (#"{a=~".*"}"#, "vector selector must contain at least one non-empty matcher", 1),
        (#"foo{__name__="bar"}"#, #"metric name must not be set twice: "foo" or "bar""#, 1),
        (#"foo{a=~"("}"#, #"invalid regular expression "(": "#, 5),
        ("foo(1)", #"unknown function with name "foo""#, 1),
        ("rate(foo)", #"expected type range vector in call to function "rate", got instant vector"#, 6),
        ("rate(foo[5m], 1)", #"expected 1 argument(s) in call to "rate", got 2"#, 1),
        ("round()", #"expected at least 1 argument(s) in call to "round", got 0"#, 1),
        ("round(a, 1, 2)", #"expected at most 2 argument(s) in call to "round", got 3"#, 1),
        ("label_join(a, \"b\")", #"expected at least 3 argument(s) in call to "label_join", got 2"#, 1),
        ("rate(foo[5m],)", "trailing commas not allowed in function call args", 13),
        ("sum()", "no arguments for aggregate expression provided", 1),
        ("topk(a)", "wrong number of arguments for aggregate expression provided, expected 2, got 1", 1),
        ("sum(1, a)", "wrong number of arguments for aggregate expression provided, expected 1, got 2", 1),
        ("topk(a, b)", "expected type scalar in aggregation parameter, got instant vector", 6),
        ("count_values(1, a)", "expected type string in aggregation parameter, got scalar", 14),
        ("sum(a[5m])", "expected type instant vector in aggregation expression, got range vector", 5),
        ("sum by foo (a)", #"unexpected identifier "foo" in grouping opts, expected "(""#, 8),
        ("sum by (a b) (c)", #"unexpected identifier "b" in grouping opts, expected "," or ")""#, 11),
        ("sum by (1) (c)", #"unexpected number "1" in grouping opts, expected label"#, 9),
        ("sum by (a) c", #"unexpected identifier "c" in aggregation"#, 12),
        ("1 > 2", "comparisons between scalars must use BOOL modifier", 3),
        ("a + bool b", "bool modifier can only be used on comparison operators", 3),
        ("a and 1", #"set operator "and" not allowed in binary scalar expression"#, 1),
        ("a and on(x) group_left b", #"no grouping allowed for "and" operation"#, 1),
        ("1 + on(x) a", "vector matching only allowed between instant vectors", 1),
        ("a + on(x) group_left(x) b", #"label "x" must not occur in ON and GROUP clause at once"#, 3),
        ("a[5m] + 1", "binary expression must contain only scalar and instant vector types", 1),
        (#""a" + 1"#, "binary expression must contain only scalar and instant vector types", 1),
        ("-a[5m]", #"unary expression only allowed on expressions of type scalar or instant vector, got "range vector""#, 1),
        ("(a)[5m]", "ranges only allowed for vector selectors", 4),
        ("a offset 5m [5m]", "no offset modifiers allowed before range", 13),
        ("a @ 5 [5m]", "no @ modifiers allowed before range", 7),
        ("a offset 1m offset 2m", "offset may not be set multiple times", 1),
        ("a @ 1 @ 2", "@ <timestamp> may not be set multiple times", 1),
        ("sum(a) offset 5m", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", 1),
        ("1 @ 5", "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery", 1),
        ("a @ Inf", "timestamp out of bounds for @ modifier: +Inf", 1),
        ("a offset", "unexpected end of input in offset, expected number or duration", 9),
        ("a @", "unexpected end of input in @, expected timestamp", 4),
        ("a @ start", "unexpected end of input in @, expected timestamp", 10),
        ("a[]", #"unexpected "]" in subquery selector, expected number or duration"#, 3),
        ("a[5m:1m:2m]", "unexpected colon ':'", 8),
        ("a[5m+]", #"unexpected "]" in duration expression, expected number or duration"#, 6),
        ("a[min_of(1m)]", #"unexpected ")" in min_of, expected ",""#, 12),
        ("a[5m*(2]", #"unexpected "]" in duration expression, expected ")""#, 8),
        ("a[stop()]", "unexpected character: 's', expected ':'", 3),
        ("a + fill(x) b", #"unexpected identifier "x" in fill, expected a number"#, 10),
        ("a and fill(0) b", #"fill modifiers are not allowed with set operator "and""#, 3),
        ("a + fill(0) 1", "fill modifiers are only allowed between instant vectors", 3),
        ("a[1.5h]", #"unknown unit "." in duration "1.5h""#, 3),
        ("a[5m1h]", #"not a valid duration string: "5m1h""#, 3),
        ("a[5m][1h]", "ranges only allowed for vector selectors", 6),
        ("a[5m][1h:]", "subquery is only allowed on instant vector, got matrix instead", 1),
        ("1 +", "unexpected end of input", 4),
        ("foo bar", #"unexpected identifier "bar""#, 5),
        ("()", #"unexpected ")""#, 2),
        ("(1", "unclosed left parenthesis", 3),
        ("1)", "unexpected right parenthesis ')'", 2),
        ("a * group_left b", "unexpected <group_left>", 5),
        ("bool", "unexpected <bool>", 1),
        ("a > on(x) bool b", "unexpected <bool>", 11),
        ("sum(a) by (b) by (c)", "unexpected <by>", 15),
        (#""a\qb""#, "unknown escape sequence U+0071 'q'", 1),
        ("a{b=\"c\"", "unexpected end of input inside braces", 8),
    ])
    func errors(query: String, message: String, column: Int) {
        do {
            let expr = try PromQL.parse(query)
            Issue.record("parsed as \(expr)")
        } catch {
            #expect(error.kind == .parse)
            if message.hasSuffix(": ") {
                #expect(error.message.hasPrefix(message))
            } else {
                #expect(error.message == message)
            }
            #expect(error.column == column, "\(error)")
            #expect(error.description.contains("^"))
        }
    }

    @Test func errorDescriptionShowsTheCaret() {
        #expect(throws: QueryError.self) { try PromQL.parse("up{a}") }
        do {
            _ = try PromQL.parse("up{a}")
        } catch {
            #expect(error.description == """
                parse error at column 5: unexpected "}" in label matching, expected label matching operator
                  up{a}
                      ^
                """)
        }
    }

    @Test func functionTable() {
        let s = PromQLFunctions.signatures
        #expect(s["rate"]?.argTypes == [.matrix])
        #expect(s["histogram_quantile"]?.argTypes == [.scalar, .vector])
        #expect(s["label_join"]?.variadic == -1)
        #expect(s["mad_over_time"]?.experimental == true)
        #expect(s["rate"]?.experimental == false)
        #expect(s["scalar"]?.returnType == .scalar)
        #expect(s.count >= 80)
    }
}
