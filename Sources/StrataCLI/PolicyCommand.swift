import ArgumentParser
import Strata
import StrataCLIKit
import StrataStorage

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Set or show what the database keeps: retention, size budget, downsampling.",
        discussion: """
            The policy is a YAML file stored in the database (<db>/POLICY) and applied by
            strata compact (and by an embedder's background compaction):

              retention:
                metrics: 30d            # default age per store (omitted: forever)
                logs: 14d
                traces: 7d
                size: 50GiB             # budget for every byte under the database
                rules:                  # the first rule that matches wins
                  - {store: logs,    selector: '{level="DEBUG"}',        keep: 2d}
                  - {store: metrics, selector: '{__name__=~"node_.*"}',  keep: 90d}
                  - {store: traces,  selector: '{error=true}',           keep: 30d}
              downsample:               # metrics only
                - {after: 2d,  resolution: 5m}
                - {after: 30d, resolution: 1h}

            Ages count back from the newest data each store holds (strata compact
            --now T overrides it). Docs/retention.md has the details.

            Examples:
              strata policy set ./db policy.yml
              strata policy show ./db
            """,
        subcommands: [Set.self, Show.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file and store it in the database.",
            discussion: """
                A policy with an unknown key, a bad duration or size, a bad selector or a
                rule for an unknown store is refused with file:line:column and the reason;
                the previous policy stays.

                Example:
                  strata policy set ./db policy.yml
                """)
        @Argument(help: "The database directory.") var db: String
        @Argument(help: "The policy file (YAML).") var file: String

        func run() throws {
            let text: String
            do { text = try readTextFile(file) } catch { throw CLIFailure.io("\(error)") }
            let db = try openDatabase(self.db, mustExist: true)
            defer { try? db.close() }
            let policy: RetentionPolicy
            do { policy = try db.setPolicy(text, file: file) } catch let e as PolicyError {
                throw CLIFailure.problem(e.description)
            } catch {
                throw CLIFailure.io("\(error)")
            }
            print("policy set: \(PolicyCommand.summary(policy))")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the stored policy and what it keeps.",
            discussion: """
                Example:
                  strata policy show ./db
                """)
        @Argument(help: "The database directory.") var db: String

        func run() throws {
            let db = try openDatabase(self.db, readOnly: true)
            defer { try? db.close() }
            let policy: RetentionPolicy?
            do { policy = try db.policy() } catch let e as PolicyError {
                throw CLIFailure.problem(e.description)
            } catch {
                throw CLIFailure.problem("\(error)")
            }
            guard let policy else {
                print("no policy set: everything is kept (strata policy set \(self.db) <file.yml>)")
                return
            }
            print(policy.text.hasSuffix("\n") ? String(policy.text.dropLast()) : policy.text)
            print("")
            var rows: [[String]] = []
            for store in RetentionPolicy.Store.allCases {
                rows.append([store.rawValue, "(default)", PolicyCommand.keep(policy.keep(store))])
            }
            for r in policy.rules { rows.append([r.store.rawValue, r.text, PolicyCommand.keep(r.keep)]) }
            print(Table(header: ["store", "selector", "keep"], rows: rows).render())
            if let b = policy.sizeBudget { print("size budget: \(formatBytes(Int(b)))") }
            for d in policy.downsample {
                print("downsample: after \(PolicyCommand.keep(d.after)) to \(PolicyCommand.keep(d.resolution)) steps")
            }
        }
    }

    static func keep(_ d: Duration?) -> String {
        guard let d else { return "forever" }
        var ms = d.policyMilliseconds
        var out = ""
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where ms >= size {
            out += "\(ms / size)\(unit)"
            ms %= size
        }
        return out.isEmpty ? "0s" : out
    }

    static func summary(_ p: RetentionPolicy) -> String {
        var parts = RetentionPolicy.Store.allCases.map { "\($0.rawValue) \(keep(p.keep($0)))" }
        if !p.rules.isEmpty { parts.append("\(p.rules.count) rule\(p.rules.count == 1 ? "" : "s")") }
        if let b = p.sizeBudget { parts.append("size \(formatBytes(Int(b)))") }
        if !p.downsample.isEmpty { parts.append("downsample " + p.downsample.map { "\(keep($0.resolution)) after \(keep($0.after))" }.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }
}


/// The text of a file (the error names it: missing, unreadable, a directory).
func readTextFile(_ path: String) throws -> String {
    String(decoding: try SystemFileSystem().readFile(path), as: UTF8.self)
}
