import Foundation
import Testing

/// `strata serve` runs `strata-server` (built next to `strata`) with the same arguments.
@Suite("strata serve")
struct ServeCommandTests {
    @Test func helpComesFromTheServer() throws {
        let r = try CLI.run(["serve", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: strata serve [<options>] <db>"))
        #expect(r.stdout.contains("--max-decompressed-bytes"))
        #expect(r.stdout.contains("strata serve /var/lib/strata"))
    }

    @Test func badOptionsAreRefusedBeforeOpeningAnything() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let r = try CLI.run(["serve", db, "--listen", "nowhere"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--listen: expected HOST:PORT"))
        #expect(!FileManager.default.fileExists(atPath: db))
        let t = try CLI.run(["serve", db, "--tokens", dir.file("tokens", "short read\n"), "--listen", "127.0.0.1:0"])
        #expect(t.status != 0)
        #expect(t.stderr.contains("tokens:1: a token needs at least 16 characters"))
    }
}

extension ServeCommandTests {
    @Test func configFileProblemsNameTheirLine() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let bad = dir.file("bad.yml", "listen: 127.0.0.1:0\nlimits:\n  max_body_byte: 10\n")
        let r = try CLI.run(["serve", dir.path + "/db", "--config", bad])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.yml:3:3: unknown key \"limits.max_body_byte\""), "\(r.stderr)")
        let value = dir.file("value.yml", "query:\n  max_samples: lots\n")
        let v = try CLI.run(["serve", dir.path + "/db", "--config", value])
        #expect(v.stderr.contains("value.yml:2: query.max_samples: expected a whole number"), "\(v.stderr)")
        let yaml = dir.file("yaml.yml", "listen: &a x\n")
        let y = try CLI.run(["serve", dir.path + "/db", "--config", yaml])
        #expect(y.stderr.contains("yaml.yml:1:"), "\(y.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/db"))
    }
}
