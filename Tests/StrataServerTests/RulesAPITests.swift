import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Strata
@testable import StrataServer
import StrataRules
import Testing

/// The rules and alerts API in process: Prometheus 2.42's JSON shapes (field names, types,
/// which fields are left out), the filters, `/-/reload`, the `for` state restored from
/// `ALERTS_FOR_STATE`, and what the notifier sends.
@Suite("rules API")
struct RulesAPITests {
    static let t0 = ServerAPITests.t0
    /// 5 minutes into `ServerAPITests.filled()`'s data: `up` is 1 for two instances.
    static let at = t0 + 300_000

    static let rules = """
        groups:
          - name: g1
            interval: 10s
            limit: 10
            rules:
              - record: job:up:sum
                expr: sum by (job) (up)
                labels:
                  team: a
              - alert: InstanceUp
                expr: up == 1
                for: 0s
                keep_firing_for: 30s
                labels:
                  severity: page
                annotations:
                  summary: instance is up
              - alert: Pending
                expr: vector(3)
                for: 1h
              - alert: Never
                expr: vector(1) == 2
              - record: dup
                expr: '{__name__=~"up|node_load1", instance="a:9100"}'
          - name: g2
            rules:
              - record: r2
                expr: vector(2)

        """

    /// A server over the filled database with `text` as its one rule file, rules loaded.
    static func with(
        rules text: String, _ options: (inout ServerOptions) -> Void = { _ in },
        _ body: @Sendable (any TestClientProtocol, StrataServer, ScratchDir) async throws -> Void
    ) async throws {
        let tmp = try ServerAPITests.filled()
        defer { tmp.cleanup() }
        let dir = ScratchDir("rules-api")
        defer { dir.cleanup() }
        var o = ServerOptions()
        o.rules.files = [try dir.write("rules.yml", text)]
        options(&o)
        let server = StrataServer(database: tmp.db, options: o)
        try await server.loadRules()
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(client, server, dir) }
    }

    static func json(_ r: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any] ?? [:]
    }

    static func groups(_ r: TestResponse) throws -> [[String: Any]] {
        (jsonPath(try json(r), "data", "groups") as? [[String: Any]]) ?? []
    }

    @Test func rulesShapeIsPrometheus242s() async throws {
        try await Self.with(rules: Self.rules) { client, server, _ in
            await server.rules.evaluateAll(at: Self.at)
            try await client.execute(uri: "/api/v1/rules", method: .get) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                // Field order as Prometheus writes it (Grafana does not care, people diffing do).
                #expect(text.hasPrefix(#"{"status":"success","data":{"groups":[{"name":"g1","file":""#))
                #expect(text.contains(#"{"name":"job:up:sum","query":"sum by (job) (up)","labels":{"team":"a"},"health":"ok","evaluationTime":"#))
                #expect(text.contains(#""interval":10,"limit":10,"evaluationTime":"#))
                #expect(text.contains(#"{"name":"r2","query":"vector(2)","health":"ok","evaluationTime":"#), "no labels key without labels")
                let groups = try Self.groups(r)
                #expect(groups.map { $0["name"] as? String } == ["g1", "g2"])
                let g1 = groups[0]
                #expect(Set(g1.keys) == ["name", "file", "rules", "interval", "limit", "evaluationTime", "lastEvaluation"])
                #expect(g1["interval"] as? Int == 10 && g1["limit"] as? Int == 10)
                #expect(g1["lastEvaluation"] as? String == "2023-11-14T22:18:20Z")
                #expect(groups[1]["interval"] as? Int == 60, "the evaluation interval (default 1m) for a group without its own")
                let rules = g1["rules"] as? [[String: Any]] ?? []
                #expect(rules.map { $0["name"] as? String } == ["job:up:sum", "InstanceUp", "Pending", "Never", "dup"])
                let recording = rules[0]
                #expect(Set(recording.keys) == ["name", "query", "labels", "health", "evaluationTime", "lastEvaluation", "type"])
                #expect(recording["type"] as? String == "recording" && recording["health"] as? String == "ok")
                #expect(recording["evaluationTime"] is Double || recording["evaluationTime"] is Int)
                #expect(recording["lastEvaluation"] as? String == "2023-11-14T22:18:20Z")

                let up = rules[1]
                #expect(
                    Set(up.keys) == [
                        "state", "name", "query", "duration", "keepFiringFor", "labels", "annotations", "alerts", "health", "evaluationTime",
                        "lastEvaluation", "type",
                    ])
                #expect(up["state"] as? String == "firing" && up["type"] as? String == "alerting")
                #expect(up["query"] as? String == "up == 1")
                #expect(up["duration"] as? Int == 0 && up["keepFiringFor"] as? Int == 30)
                #expect(up["labels"] as? [String: String] == ["severity": "page"])
                #expect(up["annotations"] as? [String: String] == ["summary": "instance is up"])
                let alerts = up["alerts"] as? [[String: Any]] ?? []
                #expect(alerts.count == 2)
                if let a = alerts.first {
                    #expect(Set(a.keys) == ["labels", "annotations", "state", "activeAt", "value"])
                    #expect(a["labels"] as? [String: String] == ["alertname": "InstanceUp", "instance": "a:9100", "job": "node", "severity": "page"])
                    #expect(a["state"] as? String == "firing")
                    #expect(a["activeAt"] as? String == "2023-11-14T22:18:20Z")
                    #expect(a["value"] as? String == "1e+00")
                }
                #expect(rules[2]["state"] as? String == "pending" && rules[2]["duration"] as? Int == 3600)
                #expect((rules[2]["alerts"] as? [[String: Any]])?.first?["value"] as? String == "3e+00")
                #expect(rules[2]["labels"] as? [String: String] == [:] && rules[2]["annotations"] as? [String: String] == [:])
                #expect(rules[3]["state"] as? String == "inactive" && (rules[3]["alerts"] as? [Any])?.isEmpty == true)
                #expect(rules[4]["health"] as? String == "err")
                #expect((rules[4]["lastError"] as? String)?.contains("same labelset") == true)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .get) { r in
                let alerts = jsonPath(try Self.json(r), "data", "alerts") as? [[String: Any]] ?? []
                #expect(alerts.map { $0["state"] as? String } == ["firing", "firing", "pending"])
                #expect(alerts.map { ($0["labels"] as? [String: String])?["alertname"] } == ["InstanceUp", "InstanceUp", "Pending"])
                #expect(alerts.allSatisfy { $0["value"] is String && $0["activeAt"] is String })
            }
        }
    }

    @Test func rulesBeforeTheFirstEvaluation() async throws {
        try await Self.with(rules: Self.rules) { client, _, _ in
            try await client.execute(uri: "/api/v1/rules?rule_name[]=Never", method: .get) { r in
                let rule = jsonPath(try Self.groups(r).first, "rules", 0) as? [String: Any]
                #expect(rule?["health"] as? String == "unknown")
                #expect(rule?["state"] as? String == "inactive")
                #expect(rule?["lastEvaluation"] as? String == "0001-01-01T00:00:00Z")
                #expect(rule?["evaluationTime"] as? Int == 0)
            }
        }
    }

    @Test func rulesFilters() async throws {
        try await Self.with(rules: Self.rules) { client, server, _ in
            await server.rules.evaluateAll(at: Self.at)
            try await client.execute(uri: "/api/v1/rules?type=record", method: .get) { r in
                let groups = try Self.groups(r)
                #expect(groups.map { ($0["rules"] as? [[String: Any]] ?? []).map { $0["name"] as? String } } == [["job:up:sum", "dup"], ["r2"]])
            }
            try await client.execute(uri: "/api/v1/rules?type=alert", method: .get) { r in
                let groups = try Self.groups(r)
                #expect(groups.count == 1, "a group left without rules is left out")
                #expect((groups.first?["rules"] as? [[String: Any]])?.allSatisfy { $0["type"] as? String == "alerting" } == true)
            }
            try await client.execute(uri: "/api/v1/rules?rule_group[]=g2", method: .get) { r in
                let groups = try Self.groups(r)
                #expect(groups.map { $0["name"] as? String } == ["g2"])
            }
            try await client.execute(uri: "/api/v1/rules?rule_name[]=Pending&rule_name[]=r2", method: .get) { r in
                let names = try Self.groups(r).flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                #expect(names == ["Pending", "r2"])
            }
            try await client.execute(uri: "/api/v1/rules?file[]=/nowhere.yml", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"groups":[]}}"#)
            }
            try await client.execute(uri: "/api/v1/rules?type=alert&exclude_alerts=true", method: .get) { r in
                let rules = jsonPath(try Self.groups(r).first, "rules") as? [[String: Any]] ?? []
                #expect(!rules.isEmpty && rules.allSatisfy { $0["alerts"] == nil })
            }
            try await client.execute(uri: "/api/v1/rules?type=bogus", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body) == #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"type\": not supported value \"bogus\""}"#)
            }
        }
    }

    @Test func reloadKeepsTheRulesWhenAFileIsBad() async throws {
        try await Self.with(rules: Self.rules) { client, server, dir in
            await server.rules.evaluateAll(at: Self.at)
            _ = try dir.write("rules.yml", "groups:\n  - name: g1\n    rules:\n      - alert: X\n        expr: sum(\n")
            try await client.execute(uri: "/-/reload", method: .post) { r in
                #expect(r.status == .internalServerError)
                #expect(String(buffer: r.body).contains("rules.yml:5:"), "file:line:col of the problem: \(String(buffer: r.body))")
            }
            try await client.execute(uri: "/api/v1/rules", method: .get) { r in
                let groups = try Self.groups(r)
                #expect(groups.map { $0["name"] as? String } == ["g1", "g2"])
            }
            #expect(server.renderMetrics().contains("strata_rules_last_reload_successful 0\n"))

            // The same alert with an expression that no longer fires: its successor takes over the
            // alerts (resolved at the next evaluation); g2 is gone.
            _ = try dir.write("rules.yml", "groups:\n  - name: g1\n    interval: 10s\n    rules:\n      - alert: InstanceUp\n        expr: up == 2\n        labels:\n          severity: page\n")
            try await client.execute(uri: "/-/reload", method: .post) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/alerts", method: .get) { r in
                let alerts = jsonPath(try Self.json(r), "data", "alerts") as? [[String: Any]] ?? []
                #expect(alerts.count == 2, "the firing alerts were carried over")
            }
            await server.rules.evaluateAll(at: Self.at + 10_000)
            try await client.execute(uri: "/api/v1/rules", method: .get) { r in
                let groups = try Self.groups(r)
                #expect(groups.map { $0["name"] as? String } == ["g1"])
                #expect(jsonPath(groups.first, "rules", 0, "state") as? String == "inactive")
                #expect(jsonPath(groups.first, "rules", 0, "query") as? String == "up == 2")
            }
            #expect(server.renderMetrics().contains("strata_rules_last_reload_successful 1\n"))
        }
    }

    /// A restart while an alert with `for: 1h` was pending: its `activeAt` comes back from
    /// `ALERTS_FOR_STATE`, moved forward by the downtime (Prometheus's `RestoreForState`).
    @Test func forStateIsRestoredFromAlertsForState() async throws {
        let tmp = try ServerAPITests.filled()
        defer { tmp.cleanup() }
        let dir = ScratchDir("rules-restore")
        defer { dir.cleanup() }
        let activeAt = Self.at - 30 * 60_000, downAt = Self.at - 60_000
        let series = try Labels(validating: ["__name__": "ALERTS_FOR_STATE", "alertname": "Slow", "job": "x"])
        _ = try tmp.db.metrics.append(series, [Sample(.milliseconds(downAt - 10_000), Double(activeAt / 1000)), Sample(.milliseconds(downAt), Double(activeAt / 1000))])
        var o = ServerOptions()
        o.rules.files = [try dir.write("r.yml", "groups:\n  - name: g\n    rules:\n      - alert: Slow\n        expr: label_replace(vector(1), \"job\", \"x\", \"\", \"\")\n        for: 1h\n      - alert: Fresh\n        expr: vector(1)\n        for: 1h\n")]
        let server = StrataServer(database: tmp.db, options: o)
        try await server.loadRules()
        await server.rules.evaluateAll(at: Self.at)
        let alerts = server.rules.runners[0].latest.withLock { ev in (ev.alerts(ofRule: 0), ev.alerts(ofRule: 1)) }
        #expect(alerts.0.map(\.activeAt) == [activeAt + (Self.at - downAt)], "29 minutes pending before, 31 to go")
        #expect(alerts.0.first?.state == .pending)
        #expect(alerts.1.map(\.activeAt) == [Self.at], "no ALERTS_FOR_STATE: active from now")
    }

    /// Prometheus's `sendAlerts`: firing alerts at once and then every resend delay, with
    /// `endsAt` 4 × max(interval, resend delay) ahead; a resolved one at once with `endsAt` its
    /// resolution, then again every resend delay; pending ones never.
    @Test func notificationsFollowSendAlerts() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        let T: Int64 = 1_700_000_000_000
        let cond = try Labels(validating: ["__name__": "cond"])
        _ = try tmp.db.metrics.append(cond, stride(from: T, through: T + 70_000, by: 10_000).map { Sample(.milliseconds($0), 1) } + [Sample(.milliseconds(T + 80_000), Sample.staleNaN)])
        let (groups, errors) = RuleFiles.parse(
            "groups:\n  - name: g\n    rules:\n      - alert: C\n        expr: cond > 0\n      - alert: P\n        expr: cond > 0\n        for: 1h\n", file: "n.yml")
        #expect(errors.isEmpty)
        var ev = RuleGroupEvaluator(group: groups[0], externalURL: "http://strata:9090")
        let runner = RuleQueryRunner(database: tmp.db)
        func step(_ dt: Int64) -> [AlertNotification] {
            ev.evaluate(at: T + dt, runner: runner)
            return ev.alertsToSend(at: T + dt, interval: 10_000, resendDelay: 60_000)
        }
        let first = step(0)
        #expect(first.count == 1)
        #expect(first.first?.labels == (try Labels(validating: ["alertname": "C"])))
        #expect(first.first?.startsAt == T && first.first?.endsAt == T + 240_000)
        #expect(first.first?.generatorURL == "http://strata:9090/graph?g0.expr=cond+%3E+0&g0.tab=1")
        #expect(step(10_000).isEmpty && step(60_000).isEmpty, "not again within the resend delay")
        #expect(step(70_000).map(\.endsAt) == [T + 70_000 + 240_000], "again once the resend delay has passed")
        let resolved = step(90_000)
        #expect(resolved.map(\.endsAt) == [T + 90_000], "resolved: sent at once, endsAt its resolution")
        #expect(step(100_000).isEmpty)
        #expect(step(160_000).map(\.endsAt) == [T + 90_000], "a resolved alert is sent again every resend delay")
    }

    @Test func notifierBodyAndExternalLabels() throws {
        let a = AlertNotification(
            labels: try Labels(validating: ["alertname": "A2", "cluster": "mine"]), annotations: try Labels(validating: ["d": "x"]),
            startsAt: 1_796_663_492_770, endsAt: 1_796_663_793_000, generatorURL: "http://p/graph?g0.expr=vector%285%29&g0.tab=1")
        let sent = AlertNotifier.addingExternalLabels(a, [("cluster", "c1"), ("region", "r1")])
        #expect(sent.labels == (try Labels(validating: ["alertname": "A2", "cluster": "mine", "region": "r1"])), "the alert's own label wins")
        // What Prometheus 2.42 POSTed for the same alert (keys in another order; JSON objects are unordered),
        // `&` escaped as Go's encoding/json does.
        let body = String(decoding: AlertNotifier.json([sent]), as: UTF8.self)
        #expect(
            body
                == #"[{"labels":{"alertname":"A2","cluster":"mine","region":"r1"},"annotations":{"d":"x"},"startsAt":"2026-12-07T17:11:32.770Z","endsAt":"2026-12-07T17:16:33.000Z","generatorURL":"http://p/graph?g0.expr=vector%285%29\u0026g0.tab=1"}]"#
        )
    }

    @Test func notificationQueueDropsTheOldest() throws {
        func alert(_ n: Int) throws -> AlertNotification {
            AlertNotification(labels: try Labels(validating: ["n": String(n)]), annotations: Labels(), startsAt: 0, endsAt: 0, generatorURL: "")
        }
        var queue = try (0..<3).map(alert)
        #expect(AlertNotifier.append(try (3..<5).map(alert), to: &queue, capacity: 4) == 1)
        #expect(queue.map { $0.labels["n"] } == ["1", "2", "3", "4"])
        #expect(AlertNotifier.append(try (5..<11).map(alert), to: &queue, capacity: 4) == 6, "two of the batch, the whole queue")
        #expect(queue.map { $0.labels["n"] } == ["7", "8", "9", "10"])
    }

    @Test(arguments: [
        (1.0, "1e+00"), (3, "3e+00"), (1234.5, "1.2345e+03"), (0.001, "1e-03"), (-2.5e-7, "-2.5e-07"), (1e100, "1e+100"), (0, "0e+00"),
        (.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"),
    ])
    func valuesAreWrittenAsGosExponentForm(_ v: Double, _ text: String) {
        #expect(GoFormat.exponent(v) == text)
    }

    @Test(arguments: [
        (0.000242111, "0.000242111"), (4.1051e-05, "0.000041051"), (1e-5, "0.00001"), (1, "1"), (30, "30"), (1e-7, "1e-7"), (0.5, "0.5"),
        (123.25, "123.25"), (1e21, "1e+21"),
    ])
    func secondsAreWrittenAsGosJSON(_ v: Double, _ text: String) {
        #expect(GoFormat.number(v) == text)
    }

    @Test func timesAreWrittenAsGos() {
        #expect(GoFormat.time(nil) == "0001-01-01T00:00:00Z")
        #expect(GoFormat.time(1_700_000_000_150) == "2023-11-14T22:13:20.15Z")
        #expect(GoFormat.time(1_700_000_000_000) == "2023-11-14T22:13:20Z")
        #expect(GoFormat.dateTime(1_700_000_000_000) == "2023-11-14T22:13:20.000Z")
        #expect(GoFormat.dateTime(1_700_000_000_007) == "2023-11-14T22:13:20.007Z")
    }

    @Test func alertmanagerURLs() throws {
        let e = try AlertmanagerEndpoint(parsing: "http://127.0.0.1:9093")
        #expect(e.host == "127.0.0.1" && e.port == 9093 && e.path == "/api/v2/alerts")
        let p = try AlertmanagerEndpoint(parsing: "http://[::1]:9093/am/")
        #expect(p.host == "::1" && p.port == 9093 && p.path == "/am/api/v2/alerts")
        #expect(try AlertmanagerEndpoint(parsing: "http://am").port == 80)
        #expect(throws: ServerConfigError.self) { try AlertmanagerEndpoint(parsing: "https://am:9093") }
        #expect(throws: ServerConfigError.self) { try AlertmanagerEndpoint(parsing: "http://am:x") }
    }

    @Test func ruleFileGlobs() throws {
        let dir = ScratchDir("rules-glob")
        defer { dir.cleanup() }
        _ = try dir.write("b.yml", "")
        _ = try dir.write("a.yml", "")
        _ = try dir.write("c.txt", "")
        #expect(try RuleFileGlob.expand([dir.path + "/*.yml", dir.sub("a.yml")]) == [dir.sub("a.yml"), dir.sub("b.yml")])
        #expect(try RuleFileGlob.expand([dir.path + "/*.none"]).isEmpty)
        #expect(try RuleFileGlob.expand([dir.sub("missing.yml")]) == [dir.sub("missing.yml")], "a plain path is read (and reported when missing)")
    }

    @Test func configFileRuleKeys() throws {
        let f = try ServerConfigFile.parse(
            "rule_files:\n  - rules/*.yml\n  - /etc/x.yml\nevaluation_interval: 15s\nalertmanagers: [http://127.0.0.1:9093]\nexternal_labels:\n  cluster: eu1\n  region: r\nexternal_url: http://s:9090\n",
            path: "c.yml")
        #expect(f.lists["rule_files"] == ["rules/*.yml", "/etc/x.yml"])
        #expect(f.lists["alertmanagers"] == ["http://127.0.0.1:9093"])
        #expect(f.externalLabels.map { "\($0.name)=\($0.value)" } == ["cluster=eu1", "region=r"])
        #expect(f["evaluation_interval"] == "15s" && f["external_url"] == "http://s:9090")
        #expect(throws: ServerConfigError.self) { try ServerConfigFile.parse("external_labels: [a]\n", path: "c.yml") }
    }
}
