import StrataStorage
@testable import StrataTraces

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory under /tmp, removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String
    let fs = SystemFileSystem()

    init() {
        var template = Array("/tmp/strata-traces-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func child(_ name: String) -> String { FileNames.join(path, name) }

    deinit { removeTree(path) }

    private func removeTree(_ p: String) {
        guard let names = try? fs.listDirectory(p) else {
            try? fs.unlink(p)
            return
        }
        for n in names {
            let c = FileNames.join(p, n)
            do { try fs.unlink(c) } catch { removeTree(c) }
        }
        try? fs.removeDirectory(p)
    }
}

extension SystemFileSystem {
    /// Writes `bytes` to `path`, replacing it (not atomically; test setup only).
    func put(_ bytes: [UInt8], at path: String) throws {
        let f = try open(path, mode: .createOrTruncate)
        defer { close(f) }
        try write(f, bytes)
    }
}
