import Testing

@testable import StrataRules

/// Expected strings are what Go's text/template, fmt and Prometheus's template functions print
/// (many are the vectors of Prometheus's own template_test.go).
let alertData = RuleTemplate.data(
    labels: ["instance": "a:1", "job": "node"], externalLabels: ["dc": "eu"], externalURL: "http://p:9090/x", value: 0.5)
let listData: TemplateValue = .record([
    TemplateField("L", .list(["a", "b", "c", "d", "e"].map { .string($0) })), TemplateField("Empty", .list([])),
    TemplateField("Mixed", .list([.string("a"), .int(2), .float(3.5)])), TemplateField("M", .map([:])),
])

/// The output, or `ERROR <description>` so a failed expectation shows why.
func render(_ text: String, _ data: TemplateValue = .null, _ env: TemplateEnvironment = TemplateEnvironment()) -> String {
    do { return try GoTemplate.parse(text).execute(data, environment: env) } catch { return "ERROR \(error)" }
}

func alert(_ text: String, value: Double = 0.5, labels: [String: String] = ["instance": "a:1", "job": "node"]) -> String {
    do { return try RuleTemplate.expand(text, labels: labels, value: value) } catch { return "ERROR \(error)" }
}

/// The parse or execution error of `text`, nil if it succeeds.
func failure(_ text: String, _ data: TemplateValue = .null, _ env: TemplateEnvironment = TemplateEnvironment()) -> TemplateError? {
    do {
        _ = try GoTemplate.parse(text).execute(data, environment: env)
        return nil
    } catch {
        return error
    }
}

func floats(_ v: [Double]) -> TemplateValue { .list(v.map { .float($0) }) }

@Suite("Go templates: syntax and execution")
struct TemplateSyntaxTests {
    @Test func typicalAnnotation() throws {
        let text = "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes. VALUE = {{ $value | humanize }}"
        let out = try RuleTemplate.expand(text, labels: ["instance": "db-1:9100", "job": "node"], value: 1_234_567)
        #expect(out == "db-1:9100 of job node has been down for more than 5 minutes. VALUE = 1.235M")
        #expect(alert("{{ $externalLabels.dc }}|{{ $externalURL }}|{{ $value }}") == "||0.5")
    }

    @Test func textTrimMarkersAndComments() {
        #expect(render("plain text") == "plain text")
        #expect(render("a  {{- 1 -}}  b") == "a1b")
        #expect(render("a \n{{- /* c */ -}}\n b") == "ab")
        #expect(render("x {{/* c */}} y") == "x  y")
        #expect(render("{{1}}{{- \" x \" -}}{{2}}") == "1 x 2")
        #expect(render("{{-3}}") == "-3")
        #expect(render("a {{- 3 }}") == "a3")
        #expect(render("{{ 3 -}}\n\t b") == "3b")
        #expect(render("{{ 1\n }}") == "1")
        #expect(render("{{ 1 }}") == "1")
        #expect(render("{ } }} {") == "{ } }} {")
    }

    @Test func variablesFieldsAndMaps() {
        #expect(render("{{ .Labels.instance }}", alertData) == "a:1")
        #expect(render("{{ $.Labels.job }}", alertData) == "node")
        #expect(render("{{ .Labels.missing }}|", alertData) == "|")
        #expect(render("{{ index .Labels \"job\" }}|{{ index .Labels \"nope\" }}|", alertData) == "node||")
        #expect(render("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}") == "2")
        #expect(render("{{ $x := .Labels }}{{ $x.job }}", alertData) == "node")
        #expect(render("{{ with .Labels }}{{ .job }}{{ end }}", alertData) == "node")
        #expect(render("{{ (.Labels).job }}", alertData) == "node")
        #expect(render("{{ .ExternalLabels.dc }} {{ .ExternalURL }} {{ .Value }}", alertData) == "eu http://p:9090/x 0.5")
        #expect(render("{{ . }}", alertData) == "{map[instance:a:1 job:node] map[dc:eu] http://p:9090/x 0.5}")
        #expect(render("{{ $a := args 1 \"x\" }}{{ $a.arg0 }} {{ $a.arg1 }} {{ $a.arg2 }}") == "1 x <no value>")
        #expect(render("{{ (args 1).arg0 }}") == "1")
        #expect(render("{{ print (args 1).missing }}") == "<nil>")
        #expect(render("{{ $ }}", .string("top")) == "top")
        // Prometheus: nil data prints <no value>, a map[string]string the empty string.
        #expect(render("{{ .Foo }}") == "<no value>")
        #expect(render("{{ . }}") == "<no value>")
        #expect(render("{{ .Foo }}|", .stringMap([:])) == "|")
        #expect(render("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}") == "2")
        #expect(render("{{ $last := \"\" }}{{ range .L }}{{ $last = . }}{{ end }}{{ $last }}", listData) == "e")
    }

    @Test func pipelines() {
        #expect(render("{{ \"abc\" | printf \"%s-%s\" \"x\" }}") == "x-abc")
        #expect(render("{{ printf \"%d\" (len \"abcd\") }}") == "4")
        #expect(render("{{ 3 | printf \"%d-%d\" 4 }}") == "4-3")
        #expect(render("{{ \"a\" | len | printf \"%03d\" }}") == "001")
        #expect(render("{{ $v := 2.5 | printf \"%.1f\" }}[{{ $v }}]") == "[2.5]")
    }

    @Test func ifElseWith() {
        let chain = "{{ if gt $value 10.0 }}big{{ else if gt $value 5.0 }}mid{{ else }}small{{ end }}"
        #expect(alert(chain, value: 11) == "big")
        #expect(alert(chain, value: 7) == "mid")
        #expect(alert(chain, value: 1) == "small")
        for falsy in ["\"\"", "0", "0.0", "false", ".Labels.missing", "(args).arg0", ".Empty", ".M", "not 1"] {
            #expect(render("{{ if \(falsy) }}T{{ else }}F{{ end }}", .record(listRecord + alertFields)) == "F", "\(falsy)")
        }
        for truthy in ["\"x\"", "1", "-0.1", "true", ".Labels", ".L", "$"] {
            #expect(render("{{ if \(truthy) }}T{{ else }}F{{ end }}", .record(listRecord + alertFields)) == "T", "\(truthy)")
        }
        #expect(render("{{ with .Labels.missing }}yes{{ else }}no{{ end }}", alertData) == "no")
        #expect(render("{{ with .Labels.job }}{{ . }}{{ end }}", alertData) == "node")
        #expect(render("{{ with .Labels.missing }}a{{ else with .Labels.job }}b{{ . }}{{ end }}", alertData) == "bnode")
        #expect(render("{{ if $x := .Labels.job }}{{ $x }}{{ else }}{{ $x }}!{{ end }}", alertData) == "node")
    }

    var listRecord: [TemplateField] { if case .record(let f) = listData { return f } else { return [] } }
    var alertFields: [TemplateField] { if case .record(let f) = alertData { return f } else { return [] } }

    @Test func range() {
        #expect(render("{{ range $i, $e := .Mixed }}{{ $i }}={{ $e }} {{ end }}", listData) == "0=a 1=2 2=3.5 ")
        #expect(render("{{ range $k, $v := .Labels }}{{ $k }}:{{ $v }},{{ end }}", alertData) == "instance:a:1,job:node,")
        #expect(render("{{ range $v := .Labels }}{{ $v }};{{ end }}", alertData) == "a:1;node;")
        #expect(render("{{ range .Labels }}{{ . }};{{ end }}", alertData) == "a:1;node;")
        #expect(render("{{ range .Empty }}x{{ else }}empty{{ end }}", listData) == "empty")
        #expect(render("{{ range .Missing }}x{{ else }}none{{ end }}", .map([:])) == "none")
        let skip = "{{ range $i, $e := .L }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $e }}{{ end }}"
        #expect(render(skip, listData) == "ac")
        #expect(render("{{ range .L }}{{ range $.L }}{{ break }}{{ end }}{{ . }}{{ end }}", listData) == "abcde")
        #expect(render("{{ range 3 }}{{ . }}{{ end }}") == "012")
        #expect(render("{{ range $i := 2 }}{{ $i }}{{ end }}") == "01")
        #expect(render("{{ range 0 }}x{{ else }}zero{{ end }}") == "zero")
        #expect(render("{{ range $i, $v := .L }}{{ end }}{{ $i }}", listData).hasPrefix("ERROR"))
    }

    @Test func builtins() {
        #expect(render("{{ and 1 0 2 }}|{{ and 1 2 }}|{{ or 0 \"\" \"x\" }}|{{ or 0 \"\" }}|") == "0|2|x||")
        #expect(render("{{ not 0 }} {{ not \"a\" }}") == "true false")
        #expect(render("{{ and false (index 1 1) }}") == "false")
        #expect(render("{{ or true (index 1 1) }}") == "true")
        #expect(render("{{ len \"héllo\" }} {{ len .Labels }}", alertData) == "6 2")
        #expect(render("{{ index \"abc\" 1 }}") == "98")
        #expect(render("{{ index .L 4 }}", listData) == "e")
        #expect(render("{{ slice \"abcdef\" 1 3 }}|{{ slice \"abc\" 1 }}|{{ slice .L 1 3 }}|{{ slice .L }}", listData) == "bc|bc|[b c]|[a b c d e]")
        #expect(render("{{ print 1 2 \"a\" 3 }}") == "1 2a3")
        #expect(render("{{ print 1.5 true nil }}") == "1.5 true <nil>")
        #expect(render("{{ println 1 \"a\" }}") == "1 a\n")
        #expect(render("{{ eq 1 2 3 1 }} {{ eq \"a\" \"b\" }} {{ ne 1 2 }}") == "true false true")
        #expect(render("{{ lt 1 2 }}{{ le 2 2 }}{{ gt 1 2 }}{{ ge 2 3 }}") == "truetruefalsefalse")
        #expect(render("{{ lt \"a\" \"b\" }} {{ lt 1.5 2.5 }} {{ eq .Labels.missing \"\" }}", alertData) == "true true true")
        #expect(render("{{ eq \"a\" nil }} {{ eq nil nil }}") == "false true")
        #expect(render("{{ urlquery \"a b&c=d/é\" }}") == "a+b%26c%3Dd%2F%C3%A9")
        #expect(render("{{ html \"<a href='x'>&\\\"\" }}") == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;")
        #expect(render("{{ html 1 \"<\" }}") == "1&lt;")
        #expect(render("{{ js \"it's \\\"q\\\" <x> a=b\" }}") == #"it\'s \"q\" \u003Cx\u003E a\u003Db"#)
        #expect(render("{{ html .Nope }}") == "&lt;no value&gt;")
    }

    @Test func printingValues() {
        let cases: [(Double, String)] = [
            (1e6, "1e+06"), (100, "100"), (0.5, "0.5"), (12_345_678, "1.2345678e+07"), (123_456, "123456"), (999_999, "999999"),
            (1_234_567, "1.234567e+06"), (1e21, "1e+21"), (0.0001, "0.0001"), (0.00001, "1e-05"), (.nan, "NaN"), (.infinity, "+Inf"),
            (-.infinity, "-Inf"), (-0.0, "-0"), (1.0 / 3, "0.3333333333333333"), (Double.leastNonzeroMagnitude, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (-2.5, "-2.5"), (0, "0"),
        ]
        for (v, s) in cases { #expect(alert("{{ $value }}", value: v) == s, "\(v)") }
        #expect(render("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }} {{ 1_000 }} {{ 'a' }} {{ '\\n' }}") == "42 -7 31 15 15 5 1000 97 10")
        #expect(render("{{ 1.5 }} {{ 1e3 }} {{ .5 }} {{ 0x1p4 }} {{ true }} {{ \"s\" }} {{ `raw\\n` }}") == "1.5 1000 0.5 16 true s raw\\n")
        #expect(render("{{ .Labels }}", alertData) == "map[instance:a:1 job:node]")
        #expect(render("{{ .Mixed }} {{ .Empty }} {{ .M }}", listData) == "[a 2 3.5] [] map[]")
        #expect(render("{{ args 1 nil }}") == "map[arg0:1 arg1:<nil>]")
    }

    @Test func printf() {
        let cases: [(String, String)] = [
            (#"printf "%s %v %d" "a" 1.5 3"#, "a 1.5 3"),
            (#"printf "%f" 3.14159"#, "3.141590"),
            (#"printf "%.2f" 2.675"#, "2.67"),
            (#"printf "%.1f" 0.05"#, "0.1"),
            (#"printf "%.0f %.0f %.0f" 0.5 1.5 2.5"#, "0 2 2"),
            (#"printf "%g %g %g" 1e6 100000.0 0.00001"#, "1e+06 100000 1e-05"),
            (#"printf "%.3g" 1234.5678"#, "1.23e+03"),
            (#"printf "%e" 0.0"#, "0.000000e+00"),
            (#"printf "%e" 12345.678"#, "1.234568e+04"),
            (#"printf "%+.2e" 12345.678"#, "+1.23e+04"),
            (#"printf "%E" 1e-7"#, "1.000000E-07"),
            (#"printf "%5d|%-5d|%05d|%+d|% d" 42 42 42 42 42"#, "   42|42   |00042|+42| 42"),
            (#"printf "%05d" -42"#, "-0042"),
            (#"printf "%8.3f|%-8.3f|%08.3f" 3.14159 3.14159 -3.14159"#, "   3.142|3.142   |-003.142"),
            (#"printf "%x %X %#x %o %b" 255 255 255 8 5"#, "ff FF 0xff 10 101"),
            (#"printf "%x|% x|%X" "hi" "hi" "hi""#, "6869|68 69|6869"),
            (#"printf "%q" "a\"b\n""#, #""a\"b\n""#),
            (#"printf "%q %c %U" 65 65 128512"#, "'A' A U+1F600"),
            (#"printf "%t %v" true false"#, "true false"),
            (#"printf "%5s|%-5s|%.1s" "ab" "ab" "abc""#, "   ab|ab   |a"),
            (#"printf "%6.2f%%" 12.3456"#, " 12.35%"),
            (#"printf "%d" "x""#, "%!d(string=x)"),
            (#"printf "%s" 1.5"#, "%!s(float64=1.5)"),
            (#"printf "%d %d" 1"#, "1 %!d(MISSING)"),
            (#"printf "%d" 1 2"#, "1%!(EXTRA int=2)"),
            (#"printf "%z" 1"#, "%!z(int=1)"),
            (#"printf "%d" nil"#, "%!d(<nil>)"),
            (#"printf "%*d|%-*d|" 4 7 3 7"#, "   7|7  |"),
            (#"printf "%[2]s %[1]s" "a" "b""#, "b a"),
            (#"printf "%T %T %T %T" 1 1.5 "a" (args)"#, "int float64 string map[string]interface {}"),
            (#"printf "%""#, "%!(NOVERB)"),
            (#"printf "%.3v|%10.4v|" 3.14159 "abcdefgh""#, "3.14|      abcd|"),
            (#"printf "%08.2f" -1.5"#, "-0001.50"),
            (#"printf "%#v %+q" "a" "é""#, #""a" "\u00e9""#),
            (#"printf "%x %b" 3.5 1.0"#, "0x1.cp+01 4503599627370496p-52"),
            (#"printf "%v %d" .Labels .Labels"#, "map[instance:a:1 job:node] map[%!d(string=instance):%!d(string=a:1) %!d(string=job):%!d(string=node)]"),
            (#"printf "%0.2f" (parseDuration "1h2m10ms")"#, "3720.01"),
            (#"printf "%0.2f" (parseDuration "-1h2m10ms")"#, "-3720.01"),
        ]
        for (expr, want) in cases { #expect(render("{{ \(expr) }}", alertData) == want, "\(expr)") }
        #expect(alert(#"{{ printf "%08.2f|%.2f|%5.1f" $value $value $value }}"#, value: .infinity) == "    +Inf|+Inf| +Inf")
        #expect(alert(#"{{ printf "%.2f|% f" $value $value }}"#, value: .nan) == "NaN| NaN")
    }
}

@Suite("Go templates: Prometheus functions")
struct TemplateFunctionTests {
    @Test func humanize() {
        #expect(render("{{ range . }}{{ humanize . }}:{{ end }}", floats([0, 1, 1_234_567, 0.12])) == "0:1:1.235M:120m:")
        #expect(render("{{ range . }}{{ humanize . }}:{{ end }}", .list(["0.0", "1.0", "1234567.0", ".12"].map { .string($0) })) == "0:1:1.235M:120m:")
        #expect(render("{{ range . }}{{ humanize . }}:{{ end }}", .list([0, -1, 1, 1_234_567, Int.max].map { .int($0) })) == "0:-1:1:1.235M:9.223E:")
        #expect(render("{{ range . }}{{ humanize . }}:{{ end }}", floats([0.001234, 12345, 999, 1000, -1_234_567, 1e27])) == "1.234m:12.35k:999:1k:-1.235M:1000Y:")
        #expect(alert("{{ $value | humanize }}", value: 0.001234) == "1.234m")
        #expect(render("{{ range . }}{{ humanize1024 . }}:{{ end }}", floats([0, 1, 1_048_576, 0.12, 1536])) == "0:1:1Mi:0.12:1.5ki:")
        #expect(render("{{ range . }}{{ humanize1024 . }}:{{ end }}", .list([0, -1, 1, 1_234_567, Int.max].map { .int($0) })) == "0:-1:1:1.177Mi:8Ei:")
        #expect(
            render(
                "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
                floats([0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99]))
                == "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:")
        #expect(
            render("{{ range . }}{{ humanizeDuration . }}:{{ end }}", floats([0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345]))
                == "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:")
        #expect(render("{{ range . }}{{ humanizeDuration . }}:{{ end }}", .list([0, -1, 1, 1_234_567].map { .int($0) })) == "0s:-1s:1s:14d 6h 56m 7s:")
        #expect(render("{{ humanizeDuration 90061 }}|{{ humanizeDuration 3600.5 }}|{{ humanizeDuration \"60\" }}") == "1d 1h 1m 1s|1h 0m 0s|1m 0s")
        let all = "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}"
        let specials = "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"
        #expect(render(all, floats([.infinity, -.infinity, .nan])) == specials)
        #expect(render(all, .list(["+Inf", "-Inf", "NaN"].map { .string($0) })) == specials)
        #expect(
            render("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}")
                == "-22.22%:0%:12.35%:123.5%")
        #expect(render("{{ range . }}{{ humanizePercentage . }}:{{ end }}", .list([0, -1, 1, 1_234_567, Int.max].map { .int($0) })) == "0%:-100%:100%:1.235e+08%:9.223e+20%:")
        #expect(alert("{{ $value | humanizePercentage }}", value: 0.1234) == "12.34%")
    }

    @Test func timestampsAndDurations() {
        #expect(
            render("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", .list([0, -1, 1, 1_234_567, 9_223_372_036].map { .int($0) }))
                == "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:")
        #expect(render("{{ 1435065584.128 | humanizeTimestamp }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(render("{{ \"1435065584.128\" | humanizeTimestamp }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(render("{{ 1435065584.128 | toTime }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(render("{{ 951782400 | humanizeTimestamp }}") == "2000-02-29 00:00:00 +0000 UTC")
        let overflow = failure("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", .list([.int(Int.min)]))
        #expect(overflow?.message == "executing at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64")
        #expect(render("{{ 1800 | toDuration }}|{{ 0.0015 | toDuration }}|{{ 0 | toDuration }}|{{ -90.5 | toDuration }}") == "30m0s|1.5ms|0s|-1m30.5s")
        #expect(render("{{ now }}", .null, TemplateEnvironment(evaluationTime: 1_353_755_652_000)) == "1.353755652e+09")
        #expect(render("{{ parseDuration \"1h30m\" }} {{ parseDuration \"-5m\" }} {{ parseDuration \"1ms\" }} {{ parseDuration \"0\" }}") == "5400 -300 0.001 0")
        #expect(failure("{{ parseDuration \"5x\" }}")?.message == "executing at <parseDuration \"5x\">: error calling parseDuration: unknown unit \"x\" in duration \"5x\"")
        #expect(failure("{{ parseDuration \"1m1h\" }}")?.message.hasSuffix("not a valid duration string: \"1m1h\"") == true)
    }

    @Test func timeAndDurationMethods() {
        #expect(render("{{ (1435065584.128 | toTime).Format \"2006\" }}|{{ (\"1435065584.128\" | toTime).Format \"2006\" }}") == "2015|2015")
        #expect(render("{{ (1800 | toDuration).String }}|{{ (\"1800\" | toDuration).String }}") == "30m0s|30m0s")
        let env = TemplateEnvironment(evaluationTime: 1_353_755_652_000)
        #expect(render("{{ (now | toTime).Format \"Mon Jan 2 15:04:05 2006\" }}", .null, env) == "Sat Nov 24 11:14:12 2012")
        #expect(render("{{ (\"-30m\" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}", .null, env) == "1353753852000")
        let layouts: [(String, String)] = [
            ("2006-01-02T15:04:05.000Z07:00", "2015-06-23T13:19:44.128Z"),
            ("Jan _2 3:04PM .999 -0700 MST", "Jun 23 1:19PM .128 +0000 UTC"),
            ("02/01/06 002 __2 ,000000 .9 pm Monday January -07:00", "23/06/15 174 174 ,128000 .1 pm Tuesday June +00:00"),
            ("15h04m05s", "13h19m44s"),
        ]
        for (layout, want) in layouts {
            #expect(render("{{ (1435065584.128 | toTime).Format \"\(layout)\" }}") == want, "\(layout)")
        }
        #expect(render("{{ $t := 1435065584.128 | toTime }}{{ $t.Unix }} {{ $t.Year }} {{ $t.YearDay }} {{ $t.UTC.Hour }}") == "1435065584 2015 174 13")
        #expect(render("{{ $d := 1800 | toDuration }}{{ $d.Seconds }} {{ $d.Minutes }} {{ $d.Hours }} {{ $d.Milliseconds }}") == "1800 30 0.5 1800000")
        #expect(render("{{ ((2 | toTime).Sub (1 | toTime)).String }} {{ (2 | toTime).After (1 | toTime) }}") == "1s true")
        #expect(failure("{{ (1 | toTime).Format }}")?.message == "executing at <(1 | toTime).Format>: wrong number of args for Format: want 1 got 0")
        #expect(failure("{{ (1 | toTime).Nope }}")?.message == "executing at <(1 | toTime).Nope>: can't evaluate field Nope in type *time.Time")
        #expect(failure("{{ (1 | toTime).Add 1.5 }}")?.message == "executing at <1.5>: expected integer; found 1.5")
    }

    @Test func strings() {
        #expect(render("{{ \"aa bb CC\" | title }}|{{ \"aa bb CC\" | toUpper }}|{{ \"aA bB CC\" | toLower }}") == "Aa Bb CC|AA BB CC|aa bb cc")
        #expect(render("{{ title \"don't stop-me now.example\" }}|{{ toUpper \"straße é\" }}") == "Don't Stop-Me Now.example|STRAßE É")
        #expect(render("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }} {{ match \"^x\" \"yx\" }}") == "true false false")
        #expect(render("{{ graphLink \"up\" }}|{{ tableLink \"rate(x[5m])\" }}") == "/graph?g0.expr=up&g0.tab=0|/graph?g0.expr=rate%28x%5B5m%5D%29&g0.tab=1")
        #expect(render("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}") == "xa")
        for (repl, want) in [("T", "-T-T-"), ("$1", "--xx-"), ("$1W", "---"), ("${1}W", "-W-xxW-"), ("$$1", "-$1-$1-")] {
            #expect(render("{{ reReplaceAll \"a(x*)b\" \"\(repl)\" \"-ab-axxb-\" }}") == want, "\(repl)")
        }
        #expect(render(#"{{ reReplaceAll "(?P<host>[^:]+):(?P<port>\\d+)" "${port}@$host" "db:9100" }}"#) == "9100@db")
        #expect(render("{{ reReplaceAll \"a*\" \"X\" \"baaac\" }}") == "XbXcX")
        #expect(render("{{ urlQueryEscape \"a b\" }}|{{ \"<b>\" | safeHtml }}|{{ \"<b>\" }}") == "a+b|<b>|<b>")
        let hosts: [(String, String, String)] = [
            ("foo.example.com", "foo.example.com", "foo"), ("foo.example.com:12345", "foo.example.com", "foo:12345"),
            ("192.0.2.1", "192.0.2.1", "192.0.2.1"), ("192.0.2.1:12345", "192.0.2.1", "192.0.2.1:12345"),
            ("2001:0DB8::1", "2001:0DB8::1", "2001:0DB8::1"), ("[2001:0DB8::1]:12345", "2001:0DB8::1", "[2001:0DB8::1]:12345"),
            ("[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"), ("[::1]:80", "::1", "[::1]:80"),
        ]
        for (input, port, domain) in hosts {
            #expect(render("{{ \"\(input)\" | stripPort }}") == port, "\(input)")
            #expect(render("{{ \"\(input)\" | stripDomain }}") == domain, "\(input)")
        }
        let env = TemplateEnvironment(externalURL: "http://testhost:9090/path/prefix")
        #expect(render("{{ pathPrefix }}|{{ externalURL }}", .null, env) == "/path/prefix|http://testhost:9090/path/prefix")
    }

    @Test func queries() {
        let env = TemplateEnvironment(query: { q in
            switch q {
            case "up": return [TemplateSample(labels: ["__name__": "up", "instance": "b"], value: 21), TemplateSample(labels: ["__name__": "up", "instance": "a"], value: 11)]
            case "s": return [TemplateSample(labels: ["__value__": "a"], value: 0)]
            case "bad": throw QueryFailed()
            default: return []
            }
        })
        #expect(render("{{ query \"up\" | first | value }}", .null, env) == "21")
        #expect(render("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }}:{{ .Value }}: {{ end }}", .null, env) == "a:11: b:21: ")
        #expect(render("{{ query \"up\" | first | label \"instance\" }}|{{ query \"up\" | first | label \"foo\" }}|", .null, env) == "b||")
        #expect(render("{{ query \"s\" | first | strvalue }}", .null, env) == "a")
        #expect(render("{{ $x := query \"up\" | first }}{{ $x.Labels.foo }}|{{ with query \"up\" }}{{ len . }}{{ end }}", .null, env) == "|2")
        #expect(render("{{ query \"up\" | first }}", .null, env) == "{map[__name__:up instance:b] 21}")
        #expect(render("{{ print (query \"up\" | first) }}", .null, env) == "&{map[__name__:up instance:b] 21}")
        #expect(render("{{ index (query \"up\") 1 | value }}", .null, env) == "11")
        let empty = failure("{{ query \"missing\" | first }}", .null, env)
        #expect(empty == TemplateError(line: 1, column: 22, message: "executing at <first>: error calling first: first() called on vector with no elements"))
        #expect(failure("{{ query \"bad\" }}", .null, env)?.message == "executing at <query \"bad\">: error calling query: query failed")
        #expect(failure("{{ (query \"missing\").banana }}", .null, env)?.message.hasSuffix("can't evaluate field banana in type template.queryResult") == true)
        #expect(failure("{{ query \"up\" }}")?.message.contains("error calling query") == true)
        #expect(failure("{{ label \"x\" nil }}")?.message == "executing at <label \"x\" nil>: error calling label: runtime error: invalid memory address or nil pointer dereference")
    }

    struct QueryFailed: Error, CustomStringConvertible { var description: String { "query failed" } }
}

@Suite("Go templates: errors and limits")
struct TemplateErrorTests {
    func parseError(_ text: String) -> TemplateError? {
        do {
            _ = try GoTemplate.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parseErrorsCarryPositions() {
        let cases: [(String, Int, Int, String)] = [
            ("{{ foo }}", 1, 4, "function \"foo\" not defined"),
            ("a{{ end }}", 1, 2, "unexpected {{end}}"),
            ("{{ else }}", 1, 1, "unexpected {{else}}"),
            ("line1\n  {{ $x }}", 2, 6, "undefined variable \"$x\""),
            ("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}", 1, 39, "undefined variable \"$x\""),
            ("x\n{{ if 1 }}y", 2, 12, "unexpected EOF"),
            ("ab {{ 1 ", 1, 4, "unclosed action"),
            ("{{", 1, 1, "unclosed action"),
            ("{{ 3k }}", 1, 4, "bad number syntax: \"3k\""),
            ("{{ 1 | 2 }}", 1, 8, "non executable command in pipeline stage 2"),
            ("{{ break }}", 1, 4, "{{break}} outside {{range}}"),
            ("{{ \u{A0}}}", 1, 4, "unrecognized character in action: U+00A0"),
            ("é{{ (1 }}", 1, 8, "unclosed left paren"),
            ("{{ 1) }}", 1, 5, "unexpected right paren U+0029 ')'"),
            ("{{ \"abc }}", 1, 4, "unterminated quoted string"),
            ("{{/* x }}", 1, 1, "unclosed comment"),
            ("{{/* x */ 1 }}", 1, 1, "comment ends before closing delimiter"),
            ("{{ 1.2.3 }}", 1, 7, "unexpected \".3\" in operand"),
            ("{{ \"a\".b }}", 1, 4, #"unexpected . after term "\"a\"""#),
            ("{{ 99999999999999999999 }}", 1, 4, "integer overflow: 99999999999999999999"),
            ("{{ 18446744073709551615 }}", 1, 4, "18446744073709551615 overflows int"),
            ("{{ 1e400 }}", 1, 4, "illegal number syntax: \"1e400\""),
            ("{{ 08 }}", 1, 4, "integer overflow: 08"),
            ("{{ range $a, $b, $c := . }}{{ end }}", 1, 16, "too many declarations in range"),
            ("{{ $a, $b := 1 }}", 1, 6, "too many declarations in command"),
            ("{{ if }}{{ end }}", 1, 7, "missing value for if"),
            ("{{ | x }}", 1, 4, "unexpected \"|\" in command"),
            ("{{ if 1 }}{{ else }}{{ else }}{{ end }}", 1, 21, "expected end; found {{else}}"),
            ("{{ x:y }}", 1, 4, "function \"x\" not defined"),
            ("{{ $.y:z }}", 1, 7, "expected :="),
            ("{{ .a-b }}", 1, 4, "bad character U+002D '-'"),
            ("{{ template \"x\" }}", 1, 4, "{{template}} is not supported: annotations are single templates"),
            ("{{ 1i }}", 1, 4, "complex constant 1i is not supported"),
            ("{{ 'ab' }}", 1, 4, "malformed character constant: 'ab'"),
            ("{{ \"\\q\" }}", 1, 4, "invalid syntax"),
        ]
        for (text, line, column, message) in cases {
            #expect(parseError(text) == TemplateError(line: line, column: column, message: message), "\(text)")
        }
        #expect(parseError("{{ humanize 1 }}") == nil)
        #expect((try? GoTemplate.parse("{{ humanize 1 }}", functions: [])) == nil)
        #expect(TemplateError(line: 2, column: 3, message: "x").description == "template: 2:3: x")
    }

    @Test func ruleTemplatePositionsSkipThePreamble() {
        #expect(throws: TemplateError(line: 2, column: 4, message: "function \"nope\" not defined")) { try RuleTemplate.check("ok\n{{ nope }}") }
        #expect(throws: TemplateError(line: 1, column: 5, message: "unexpected {{end}}")) { try RuleTemplate.check("abc {{ end }}") }
        #expect(throws: TemplateError(line: 1, column: 4, message: "undefined variable \"$undefined\"")) { try RuleTemplate.check("{{ $undefined }}") }
        #expect(throws: Never.self) { try RuleTemplate.check("{{ $labels.job }} {{ $value }} {{ $externalLabels }} {{ $externalURL }}") }
        #expect(
            throws: TemplateError(line: 1, column: 10, message: "executing at <humanize \"x\">: error calling humanize: strconv.ParseFloat: parsing \"x\": invalid syntax")
        ) { try RuleTemplate.expand("value {{ humanize \"x\" }}", labels: [:], value: 1) }
    }

    @Test func executionErrors() {
        let cases: [(String, String)] = [
            ("{{ humanize \"one\" }}", "executing at <humanize \"one\">: error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax"),
            ("{{ \"one\" | humanizePercentage }}", "executing at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax"),
            ("{{ humanize \"1e400\" }}", "executing at <humanize \"1e400\">: error calling humanize: strconv.ParseFloat: parsing \"1e400\": value out of range"),
            ("{{ humanize true }}", "executing at <humanize true>: error calling humanize: can't convert bool to float"),
            ("{{ toUpper 3 }}", "executing at <3>: expected string; found 3"),
            ("{{ 3 | toUpper }}", "executing at <toUpper>: wrong type for value; expected string; got int"),
            ("{{ .Value | toUpper }}", "executing at <toUpper>: wrong type for value; expected string; got float64"),
            ("{{ gt .Value 1 }}", "executing at <gt .Value 1>: error calling gt: incompatible types for comparison: float64 and int"),
            ("{{ eq .Labels \"a\" }}", "executing at <eq .Labels \"a\">: error calling eq: incompatible types for comparison: map[string]string and string"),
            ("{{ lt true false }}", "executing at <lt true false>: error calling lt: invalid type for comparison"),
            ("{{ eq 1 }}", "executing at <eq 1>: error calling eq: missing argument for comparison"),
            ("{{ eq }}", "executing at <eq>: wrong number of args for eq: want at least 1 got 0"),
            ("{{ index 1 2 }}", "executing at <index 1 2>: error calling index: can't index item of type int"),
            ("{{ index .Labels 1 }}", "executing at <index .Labels 1>: error calling index: value has type int; should be string"),
            ("{{ len 3 }}", "executing at <len 3>: error calling len: len of type int"),
            ("{{ humanize }}", "executing at <humanize>: wrong number of args for humanize: want 1 got 0"),
            ("{{ humanize 1 2 }}", "executing at <humanize>: wrong number of args for humanize: want 1 got 2"),
            ("{{ 1 | humanize 2 }}", "executing at <humanize>: wrong number of args for humanize: want 1 got 2"),
            ("{{ printf }}", "executing at <printf>: wrong number of args for printf: want at least 1 got 0"),
            ("{{ toUpper (safeHtml \"x\") }}", "executing at <(safeHtml \"x\")>: wrong type for value; expected string; got template.HTML"),
            ("{{ nil }}", "executing at <nil>: nil is not a command"),
            ("{{ 1 2 }}", "executing at <1>: can't give argument to non-function 1"),
            ("{{ .Labels.job 2 }}", "executing at <.Labels.job>: job is not a method but has arguments"),
            ("{{ .Value 2 }}", "executing at <.Value>: Value has arguments but cannot be invoked as function"),
            ("{{ range 1.5 }}{{ end }}", "executing at <1.5>: range can't iterate over 1.5"),
            ("{{ range $i, $e := 3 }}{{ end }}", "executing at <3>: can't use 3 to iterate over more than one variable"),
            ("{{ $x = 1 }}", "executing at <1>: undefined variable: $x"),
            ("{{ index .Labels }}{{ index nil 1 }}", "executing at <index nil 1>: error calling index: index of untyped nil"),
            ("{{ slice \"abc\" 2 1 }}", "executing at <slice \"abc\" 2 1>: error calling slice: invalid slice index: 2 > 1"),
            ("{{ slice \"abc\" 1 9 }}", "executing at <slice \"abc\" 1 9>: error calling slice: index out of range: 9"),
            ("{{ .Labels.a.b.c }}", "executing at <.Labels.a.b.c>: can't evaluate field b in type string"),
            ("{{ reReplaceAll \"(\" \"\" \"x\" }}", ""),
            ("{{ match \"(?=x)\" \"x\" }}", ""),
            ("{{ toTime \"NaN\" }}", "executing at <toTime \"NaN\">: error calling toTime: value is NaN or Inf"),
            ("{{ call 1 }}", "executing at <call 1>: error calling call: non-function of type int"),
        ]
        for (text, message) in cases {
            let e = failure(text, alertData)
            #expect(e != nil, "\(text)")
            if message.isEmpty { continue }
            #expect(e?.message == message, "\(text)")
        }
        let re = failure("{{ reReplaceAll \"(\" \"\" \"x\" }}")
        #expect(re?.message.hasPrefix("executing at <reReplaceAll \"(\" \"\" \"x\">: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: ") == true)
        let field = failure("{{ .Foo }}", alertData)
        #expect(field?.message.hasPrefix("executing at <.Foo>: can't evaluate field Foo in type struct { Labels map[string]string;") == true)
        #expect(field?.line == 1 && field?.column == 4)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let parens = String(repeating: "(", count: 100_000)
        let e = failure("{{ " + parens + "1" + " }}")
        #expect(e?.message.contains("1000") == true)
        let ifs = String(repeating: "{{ if 1 }}", count: 100_000)
        #expect(failure(ifs)?.message.contains("nesting deeper than 1000 levels") == true)
        let ok = "{{ " + String(repeating: "(", count: TemplateParser.maxDepth) + "1" + String(repeating: ")", count: TemplateParser.maxDepth) + " }}"
        #expect(render(ok) == "1")
        let nestedIfs = String(repeating: "{{ if 1 }}", count: TemplateParser.maxDepth) + "x" + String(repeating: "{{ end }}", count: TemplateParser.maxDepth)
        #expect(render(nestedIfs) == "x")
        let tooDeep = "{{ " + String(repeating: "(", count: TemplateParser.maxDepth + 1) + "1" + String(repeating: ")", count: TemplateParser.maxDepth + 1) + " }}"
        #expect(failure(tooDeep)?.message.contains("1000") == true)
    }

    /// Random sequences of template fragments and random text: parsing and executing never traps.
    @Test func randomInputNeverTraps() {
        let fragments = [
            "{{", "}}", "{{- ", " -}}", "(", ")", "|", "$x", "$", ":=", "=", "if", "else", "end", "range", "with", "break", "continue",
            ".A", ".", "\"s\"", "`r`", "'c'", "1", "-2.5e3", "0x1F", "humanize", "printf", "\"%d %s %v %x %q %08.3f\"", "index", "slice",
            "len", "eq", "lt", "and", "nil", "true", " ", "\n", "/*", "*/", ",", "\\", "é", "\u{A0}", "args", ".arg0", "title",
            "reReplaceAll", "\"(a)\"", "humanizeDuration", "toTime", "$labels", "query", "first",
        ]
        var rng = SplitMix(seed: 42)
        let data = RuleTemplate.data(labels: ["A": "x"], externalLabels: [:], externalURL: "", value: 1.5)
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int(rng.next() % 24) { text += fragments[Int(rng.next() % UInt64(fragments.count))] }
            if let t = try? GoTemplate.parse(text) { _ = try? t.execute(data) }
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 40) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            let raw = String(decoding: bytes, as: UTF8.self)
            if let t = try? GoTemplate.parse("{{" + raw + "}}") { _ = try? t.execute(data) }
            _ = try? GoTemplate.parse(raw)
        }
    }

    @Test func floatFormattingRoundTrips() throws {
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 {
            let v = Double(bitPattern: rng.next())
            guard v.isFinite else { continue }
            #expect(try GoFloat.parse(GoFloat.format(v, UInt8(ascii: "g"), -1)) == v)
            #expect(try GoFloat.parse(GoFloat.format(v, UInt8(ascii: "e"), 16)) == v)
        }
        #expect(GoFloat.format(0.1, UInt8(ascii: "f"), 30) == "0.100000000000000005551115123126")
        #expect(GoFloat.format(1e23, UInt8(ascii: "f"), 0) == "99999999999999991611392")
        #expect(GoFloat.format(9.5, UInt8(ascii: "f"), 0) == "10")
        #expect(GoFloat.format(0.000123456, UInt8(ascii: "e"), 2) == "1.23e-04")
        #expect(GoFloat.format(1e100, UInt8(ascii: "g"), 4) == "1e+100")
        #expect(throws: GoFloat.ParseError.syntax) { try GoFloat.parse("1_") }
        #expect(try GoFloat.parse("1_000.5") == 1000.5)
        #expect(try GoFloat.parse("0x1.8p1") == 3)
        #expect(try GoFloat.parse("-Infinity") == -.infinity)
        #expect(throws: GoFloat.ParseError.syntax) { try GoFloat.parse("+nan") }
        #expect(throws: GoFloat.ParseError.syntax) { try GoFloat.parse("0x1.8") }
    }

    /// The typical annotation, parsed once, expands in microseconds (the bound is loose for debug builds).
    @Test func expansionIsFast() throws {
        let template = try RuleTemplate.parse(
            "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes. VALUE = {{ $value | humanize }}")
        let data = RuleTemplate.data(labels: ["instance": "db-1:9100", "job": "node"], externalLabels: [:], externalURL: "", value: 1_234_567)
        let env = TemplateEnvironment()
        let n = 2000
        let clock = ContinuousClock()
        var out = ""
        let elapsed = try clock.measure {
            for _ in 0..<n { out = try template.execute(data, environment: env) }
        }
        #expect(out.hasSuffix("VALUE = 1.235M"))
        let perExpansion = elapsed / n
        #expect(perExpansion < .microseconds(200), "\(perExpansion) per expansion")
    }
}

/// A small deterministic generator for the robustness tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
