import StrataEncoding
import StrataStorage

/// The policy file of a database, `<db>/POLICY`: the policy's YAML text exactly as set, framed
/// so that a torn or damaged file is detected (Docs/format/policy.md):
///
/// ```
/// "SPOL" (4) | version u8 = 1 | reserved 3 | text length u32 | UTF-8 text | CRC32C of all preceding bytes u32
/// ```
enum PolicyFile {
    static let name = "POLICY"
    /// "SPOL" read as a little-endian UInt32.
    static let magic: UInt32 = 0x4C4F_5053
    static let version: UInt8 = 1
    static let maxText = 1 << 20

    static func encode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        var w = ByteWriter(capacity: utf8.count + 16)
        w.appendUInt32(magic)
        w.appendUInt8(version)
        w.append(contentsOf: [0, 0, 0])
        w.appendUInt32(UInt32(utf8.count))
        w.append(contentsOf: utf8)
        w.appendCRC32C()
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(FormatError) -> String {
        var r = ByteReader(bytes)
        guard try r.readUInt32() == magic else { throw FormatError(.badMagic, at: 0, "not a Strata policy file") }
        let v = try r.readUInt8()
        guard v == version else { throw FormatError(.unsupportedVersion, at: 4, "policy file version \(v) (this build reads 1)") }
        try r.skip(3)
        let n = Int(try r.readUInt32())
        guard n <= maxText else { throw FormatError(.invalid, at: 8, "policy text of \(n) bytes") }
        let text = try r.readBytes(n)
        try r.verifyCRC32C(from: 0)
        guard r.isAtEnd else { throw FormatError(.invalid, at: r.position, "\(r.remaining) bytes after the checksum") }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Database {
    /// The path of the database's policy file.
    public var policyPath: String { FileNames.join(path, PolicyFile.name) }

    /// The smallest size budget a policy may set: one write-ahead log segment per store, which
    /// no retention pass can remove.
    public var minimumSizeBudget: Int64 {
        Int64(options.metrics.walSegmentSize + options.logs.walSegmentSize + options.traces.walSegmentSize)
    }

    /// Validates `text` and stores it as the database's policy (one atomic write): the previous
    /// policy stays when it is refused.
    /// - Parameter file: the name errors give (the file the text came from).
    /// - Throws: `PolicyError` (file, line, column, reason) or `StorageError` for the write.
    @discardableResult
    public func setPolicy(_ text: String, file: String = "policy") throws -> RetentionPolicy {
        if options.readOnly { throw StorageError.invalidState(path: path, detail: "opened read-only: the policy cannot be set") }
        let policy = try RetentionPolicy.parse(text, file: file, minimumSizeBudget: minimumSizeBudget)
        try AtomicFile.write(PolicyFile.encode(text), to: policyPath, fs: SystemFileSystem())
        return policy
    }

    /// The stored policy, or nil when none was set.
    /// - Throws: `StorageError.corrupt` naming the file for a damaged policy file, or the
    ///   `PolicyError` of a stored text this build no longer accepts.
    public func policy() throws -> RetentionPolicy? {
        let fs = SystemFileSystem()
        guard try fs.exists(policyPath) else { return nil }
        let bytes = try fs.readFile(policyPath)
        let text: String
        do { text = try PolicyFile.decode(bytes) } catch { throw StorageError(path: policyPath, error) }
        return try RetentionPolicy.parse(text, file: policyPath, minimumSizeBudget: 0)
    }
}
