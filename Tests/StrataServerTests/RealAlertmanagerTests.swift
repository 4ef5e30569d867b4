import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real Alertmanager (Debian's prometheus-alertmanager 0.25) receives the alerts of a real
/// `strata-server`: an alert that fires at once shows up there with its labels, the external
/// labels and its annotations; a reload with a bad file keeps the rules; a reload (SIGHUP) that
/// makes the expression stop firing resolves the alert in Alertmanager.
@Suite(.serialized)
struct RealAlertmanagerTests {
    static let alertmanager = "/usr/bin/prometheus-alertmanager"

    static func firingRules(_ expr: String) -> String {
        """
        groups:
          - name: demo
            rules:
              - alert: AlwaysFiring
                expr: \(expr)
                for: 0s
                labels:
                  severity: page
                annotations:
                  summary: always firing

        """
    }

    /// The alerts Alertmanager holds as active (`GET /api/v2/alerts?active=true`) named `name`.
    static func activeAlerts(port: Int, named name: String) throws -> [[String: Any]] {
        let r = try RawHTTP.request(port: port, "GET", "/api/v2/alerts?active=true&silenced=false&inhibited=false", timeout: 5)
        guard r.status == 200, let all = try JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] else {
            throw HarnessError("Alertmanager's /api/v2/alerts: \(r)")
        }
        return all.filter { ($0["labels"] as? [String: String])?["alertname"] == name }
    }

    @Test(.timeLimit(.minutes(2)))
    func alertsReachAlertmanagerAndResolve() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.alertmanager) else {
            Issue.record(
                "\(Self.alertmanager) is missing: install Debian's prometheus-alertmanager (`apt-get install prometheus-alertmanager`; Tools/setup-debian.sh does it, and CI runs that)"
            )
            return
        }
        let dir = ScratchDir("alertmanager")
        defer { dir.cleanup() }

        let amPort = try freePort()
        let amConfig = try dir.write("alertmanager.yml", "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
        let am = try Child(
            Self.alertmanager,
            [
                "--config.file=\(amConfig)", "--storage.path=\(dir.sub("am-data"))", "--web.listen-address=127.0.0.1:\(amPort)",
                "--cluster.listen-address=",
            ], name: "alertmanager", logDir: dir.path)
        defer { am.stop() }
        _ = try poll("Alertmanager to be ready", timeout: 15, interval: 0.1) { note -> Bool? in
            if !am.isRunning { throw HarnessError("alertmanager exited: \(am.stderr.suffix(2000))") }
            guard let r = try? RawHTTP.request(port: amPort, "GET", "/-/ready", timeout: 2) else { return nil }
            note = r.description
            return r.status == 200 ? true : nil
        }

        try FileManager.default.createDirectory(atPath: dir.sub("rules"), withIntermediateDirectories: true)
        let rules = try dir.write("rules/rules.yml", Self.firingRules("vector(1)"))
        let server = try ServerProcess(
            db: dir.sub("db"), logDir: dir.path,
            extra: [
                "--rule-file", dir.path + "/rules/*.yml", "--evaluation-interval", "1s", "--alertmanager-url", "http://127.0.0.1:\(amPort)",
                "--external-label", "cluster=test", "--external-label", "severity=ignored", "--external-url", "http://strata.test:9090",
            ])
        defer { server.stop() }

        // The alert in Alertmanager, with the rule's labels, the external label it lacked (not the
        // one it has) and its annotations.
        let alert = try poll("AlwaysFiring in Alertmanager", timeout: 20, interval: 0.25) { note -> [String: Any]? in
            if !server.isRunning { throw HarnessError("strata-server exited: \(server.stderr.suffix(2000))") }
            let found = try Self.activeAlerts(port: amPort, named: "AlwaysFiring")
            note = "\(found); strata-server: \(server.stderr.suffix(500))"
            return found.first
        }
        #expect(alert["labels"] as? [String: String] == ["alertname": "AlwaysFiring", "severity": "page", "cluster": "test"])
        #expect(alert["annotations"] as? [String: String] == ["summary": "always firing"])
        #expect((alert["generatorURL"] as? String)?.hasPrefix("http://strata.test:9090/graph?g0.expr=vector%281%29") == true)
        #expect(jsonPath(alert, "status", "state") as? String == "active")

        // Strata's own view: firing, and the notifications counted.
        let (_, alerts) = try server.getJSON("/api/v1/alerts")
        #expect(jsonPath(alerts, "data", "alerts", 0, "state") as? String == "firing")
        let metrics = try server.get("/metrics").text
        #expect(metrics.contains("strata_notifications_sent_total{alertmanager=\"http://127.0.0.1:\(amPort)\"}"))
        #expect(!metrics.contains("strata_notifications_errors_total{"), "no failed POST: \(metrics)")
        #expect(metrics.contains("strata_rule_evaluations_total{rule_group=\"\(rules);demo\"}"))

        // A bad file: the reload is refused with the file's position, the alert stays.
        _ = try dir.write("rules/rules.yml", "groups:\n  - name: demo\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1\n")
        let refused = try server.post("/-/reload", body: [], headers: [])
        #expect(refused.status == 500)
        #expect(refused.text.contains("rules.yml:5:"), "\(refused)")
        let (_, kept) = try server.getJSON("/api/v1/rules")
        #expect(jsonPath(kept, "data", "groups", 0, "rules", 0, "query") as? String == "vector(1)")

        // The expression stops firing (SIGHUP reads the file again): resolved in Alertmanager.
        _ = try dir.write("rules/rules.yml", Self.firingRules("vector(1) == 2"))
        server.child.signal(SIGHUP)
        _ = try poll("AlwaysFiring resolved in Alertmanager", timeout: 20, interval: 0.25) { note -> Bool? in
            if !server.isRunning { throw HarnessError("strata-server exited: \(server.stderr.suffix(2000))") }
            let found = try Self.activeAlerts(port: amPort, named: "AlwaysFiring")
            note = "\(found)"
            return found.isEmpty ? true : nil
        }
        let (_, after) = try server.getJSON("/api/v1/rules")
        #expect(jsonPath(after, "data", "groups", 0, "rules", 0, "query") as? String == "vector(1) == 2")
        #expect(jsonPath(after, "data", "groups", 0, "rules", 0, "state") as? String == "inactive")
    }

    /// A bad rule file keeps the server from starting, with the file's positions, exit status 1.
    @Test(.timeLimit(.minutes(1)))
    func badRuleFileRefusesToStart() throws {
        let dir = ScratchDir("bad-rules")
        defer { dir.cleanup() }
        let rules = try dir.write("bad.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n")
        let r = try runProgram(Paths.strataServer, [dir.sub("db"), "--listen", "127.0.0.1:0", "--rule-file", rules], timeout: 30)
        #expect(r.exited && r.status == 1, "\(r)")
        #expect(r.stderr.contains("strata serve: \(rules):5:"), "\(r)")
        #expect(r.stderr.contains("not starting"))
    }

    /// The rule options from `--config`: `rule_files` relative to the config file, the evaluation
    /// interval, external labels and URL.
    @Test(.timeLimit(.minutes(1)))
    func ruleOptionsFromTheConfigFile() throws {
        let dir = ScratchDir("rules-config")
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.sub("rules"), withIntermediateDirectories: true)
        _ = try dir.write("rules/a.yml", "groups:\n  - name: a\n    rules:\n      - record: one\n        expr: vector(1)\n")
        let config = try dir.write(
            "strata.yml",
            "rule_files:\n  - rules/*.yml\nevaluation_interval: 2s\nexternal_labels:\n  cluster: c1\nexternal_url: http://s.test:9090\n")
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path, extra: ["--config", config])
        defer { server.stop() }
        let (_, o) = try server.getJSON("/api/v1/rules")
        #expect(jsonPath(o, "data", "groups", 0, "file") as? String == dir.path + "/rules/a.yml")
        #expect(jsonPath(o, "data", "groups", 0, "interval") as? Int == 2)
        // The recorded series appears within two intervals or so.
        _ = try poll("the recorded series", timeout: 10, interval: 0.25) { note -> Bool? in
            let (r, q) = try server.getJSON("/api/v1/query", [("query", "one")])
            note = r.description
            return (jsonPath(q, "data", "result") as? [Any])?.count == 1 ? true : nil
        }
    }
}
