import StrataEncoding
import Testing

/// A small deterministic generator (SplitMix64) so corruption tests see the same bytes every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}

enum TestData {
    /// `count` uniformly random bytes from `seed`: incompressible.
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            withUnsafeBytes(of: rng.next()) { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(count))
    }

    /// About `count` bytes of oslo.log-like lines from `seed`: repetitive, like real logs.
    static func logLines(count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let levels = ["INFO", "DEBUG", "WARNING", "ERROR"]
        let loggers = ["nova.osapi_compute.wsgi.server", "nova.compute.manager", "neutron.agent.ovs"]
        var out = [UInt8]()
        out.reserveCapacity(count + 200)
        var ms = 8
        while out.count < count {
            ms += Int(rng.next() % 500)
            let pid = 25_000 + Int(rng.next() % 1000)
            let line =
                "2017-05-16 00:00:\(ms / 1000 % 60).\(ms % 1000) \(pid) \(levels[Int(rng.next() % 4)]) "
                + "\(loggers[Int(rng.next() % 3)]) [req-\(String(rng.next() % 0xFFFF_FFFF, radix: 16))] "
                + "\"GET /v2/servers/detail HTTP/1.1\" status: 200 len: \(1000 + rng.next() % 900)\n"
            out.append(contentsOf: line.utf8)
        }
        return Array(out.prefix(count))
    }
}

/// Runs `body`, expects it to throw a `FormatError` of `kind`, and returns the error.
@discardableResult
func expectFormatError<T>(
    _ kind: FormatError.Kind, _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(FormatError) -> T
) -> FormatError? {
    do {
        let value = try body()
        Issue.record("\(note) expected \(kind) but got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.kind == kind, "\(note) \(error)", sourceLocation: sourceLocation)
        return error
    }
}
