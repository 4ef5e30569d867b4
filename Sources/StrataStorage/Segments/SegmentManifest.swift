import StrataEncoding

/// The list of a store's live segments, written whole to `MANIFEST` with `AtomicFile`.
///
/// ```
/// "SMAN" (4) | version u8 | reserved 3 | generation u64 | next segment number u64 | entry count u32
/// entry*     | store state (varint length + bytes) | CRC32C of all preceding bytes u32
/// entry = name (varint length + UTF-8) | kind u8 | level u8 | minTime i64 | maxTime i64
///         | sizeBytes u64 | recordCount u64 | metadata (varint length + bytes)
/// ```
/// All integers little-endian (Docs/format/manifest.md).
public struct SegmentManifest: Sendable, Equatable {
    /// Incremented by every publish; the first manifest of a store is generation 0.
    public var generation: UInt64
    /// The number the next segment name gets; never decreases, so names are never reused.
    public var nextSegmentNumber: UInt64
    /// The live segments, in publication order.
    public var entries: [SegmentEntry]
    /// Store-specific state published atomically with the segments (opaque here; at most 16 MiB).
    /// The metric store keeps the first WAL segment it still needs in it.
    public var storeState: [UInt8]

    /// "SMAN" as it appears on disk, read as a little-endian UInt32.
    static let magic: UInt32 = 0x4E41_4D53
    /// The version this build writes and the newest it reads.
    static let version: UInt8 = 1
    static let headerSize = 28
    /// The smallest encoded entry: empty name and metadata.
    static let minimumEntrySize = 1 + 1 + 1 + 8 * 4 + 1
    static let maxMetadata = 16 << 20

    /// Creates a manifest.
    public init(
        generation: UInt64 = 0, nextSegmentNumber: UInt64 = 1, entries: [SegmentEntry] = [], storeState: [UInt8] = []
    ) {
        self.generation = generation
        self.nextSegmentNumber = nextSegmentNumber
        self.entries = entries
        self.storeState = storeState
    }

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.headerSize + entries.count * 64 + 4)
        w.appendUInt32(Self.magic)
        w.appendUInt8(Self.version)
        w.append(contentsOf: [0, 0, 0])
        w.appendUInt64(generation)
        w.appendUInt64(nextSegmentNumber)
        w.appendUInt32(UInt32(entries.count))
        for e in entries {
            w.appendLengthPrefixed(e.name)
            w.appendUInt8(e.kind)
            w.appendUInt8(e.level)
            w.appendInt64(e.minTime)
            w.appendInt64(e.maxTime)
            w.appendUInt64(e.sizeBytes)
            w.appendUInt64(e.recordCount)
            w.appendLengthPrefixed(bytes: e.metadata)
        }
        w.appendLengthPrefixed(bytes: storeState)
        w.appendCRC32C(from: 0)
        return w.bytes
    }

    /// Decodes and validates a manifest: magic, version (up to this build's), checksum, every
    /// length, segment names (`<digits>.<ext>`, unique, numbered below `nextSegmentNumber`),
    /// `minTime <= maxTime`, and no trailing bytes.
    /// - Throws: `FormatError` with the offset of the first problem.
    public init(decoding bytes: [UInt8]) throws(FormatError) {
        guard bytes.count >= Self.headerSize + 4 else {
            throw FormatError(.truncated, at: bytes.count, "manifest needs at least \(Self.headerSize + 4) bytes")
        }
        var r = ByteReader(bytes, range: 0..<(bytes.count - 4))
        let magic = try r.readUInt32()
        guard magic == Self.magic else {
            throw FormatError(
                .badMagic, at: 0, "expected \"SMAN\" (\(hexString(Self.magic))), found \(hexString(magic))")
        }
        let version = try r.readUInt8()
        guard version >= 1 else { throw FormatError(.invalid, at: 4, "version 0 is not a manifest version") }
        guard version <= Self.version else {
            throw FormatError(
                .unsupportedVersion, at: 4, "manifest version \(version), this build reads up to \(Self.version)")
        }
        var crcReader = ByteReader(bytes, range: (bytes.count - 4)..<bytes.count)
        crcReader.position = bytes.count - 4
        try crcReader.verifyCRC32C(from: 0)
        try r.skip(3)
        generation = try r.readUInt64()
        nextSegmentNumber = try r.readUInt64()
        let countOffset = r.fileOffset
        let count = Int(try r.readUInt32())
        guard count <= r.remaining / Self.minimumEntrySize else {
            throw FormatError(.invalid, at: countOffset, "\(count) entries cannot fit in \(r.remaining) bytes")
        }
        var seen = Set<String>()
        entries = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let at = r.fileOffset
            let name = try r.readLengthPrefixedString()
            guard let (number, _) = FileNames.parseSegment(name) else {
                throw FormatError(.invalid, at: at, "\"\(name)\" is not a segment file name")
            }
            guard number < nextSegmentNumber else {
                throw FormatError(.invalid, at: at, "segment \(name) is not below the next number \(nextSegmentNumber)")
            }
            guard seen.insert(name).inserted else {
                throw FormatError(.invalid, at: at, "segment \(name) listed twice")
            }
            let kind = try r.readUInt8()
            let level = try r.readUInt8()
            let timesAt = r.fileOffset
            let minTime = try r.readInt64()
            let maxTime = try r.readInt64()
            guard minTime <= maxTime else {
                throw FormatError(.invalid, at: timesAt, "segment \(name): minTime \(minTime) > maxTime \(maxTime)")
            }
            let sizeBytes = try r.readUInt64()
            let recordCount = try r.readUInt64()
            let metadataLength = try r.readLength(limit: min(r.remaining, Self.maxMetadata))
            let metadata = Array(try r.readBytes(metadataLength))
            entries.append(
                SegmentEntry(
                    name: name, kind: kind, level: level, minTime: minTime, maxTime: maxTime, sizeBytes: sizeBytes,
                    recordCount: recordCount, metadata: metadata))
        }
        let stateLength = try r.readLength(limit: min(r.remaining, Self.maxMetadata))
        storeState = Array(try r.readBytes(stateLength))
        guard r.isAtEnd else {
            throw FormatError(.invalid, at: r.fileOffset, "\(r.remaining) bytes after the store state")
        }
    }
}
