import StrataEncoding

/// Constants of the log segment file (`NNNNNN.logs`); Docs/format/log-segment.md has every byte.
enum LogSegmentFormat {
    /// "STRATLOG" at offset 0.
    static let magic: [UInt8] = Array("STRATLOG".utf8)
    /// "SLG1" as the last four bytes.
    static let trailerMagic: [UInt8] = Array("SLG1".utf8)
    /// 5: a `PagedKeyFilter` over every field index key sits after the field index, and the
    /// directory locates it, so a lookup reads one filter page of a segment that cannot hold
    /// the key instead of its chunk table and a chunk.
    /// 4: the block list is a frame of its own that the directory points at, so opening a
    /// segment decompresses a directory of a few hundred bytes (version 3: the block list was
    /// the directory's tail). 3: the field index is cut into chunks of `fieldIndexChunkKeys`
    /// keys under a chunk table, so a lookup decodes one chunk (version 2: one frame). 2:
    /// templates may hold `LineTemplate.hexRun` placeholders (version 1: a `0x05` byte was a
    /// literal). Readers take all five.
    static let version: UInt8 = 5
    /// The first version with a chunked field index.
    static let chunkedFieldIndexVersion: UInt8 = 3
    /// The first version whose block list is a frame of its own.
    static let blockListFrameVersion: UInt8 = 4
    /// The first version with a key filter region.
    static let keyFilterVersion: UInt8 = 5
    /// Keys per field index chunk (version 3).
    static let fieldIndexChunkKeys = 1024
    static let headerSize = 16
    /// `[directory offset u64][directory length u64][crc32c u32 of the 16 bytes before][magic 4]`.
    static let trailerSize = 24
    /// The manifest `kind` byte of log segments.
    static let segmentKind: UInt8 = 2
    static let fileExtension = "logs"
    /// The largest raw frame a reader accepts.
    static let maxFrame = 1 << 30
}

/// 64-bit FNV-1a with a final mix: the field index's key hash.
struct KeyHash {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) mutating func add(_ b: UInt8) {
        h = (h ^ UInt64(b)) &* 0x100_0000_01b3
    }
    mutating func add(_ p: UnsafeRawBufferPointer) {
        // FNV-1a over 8-byte words, then the tail bytes (faster than byte by byte on the ingest path).
        var i = 0
        while i + 8 <= p.count {
            h = (h ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* 0x100_0000_01b3
            h ^= h >> 32
            i += 8
        }
        while i < p.count {
            add(p[i])
            i += 1
        }
    }
    mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }
    var value: UInt64 {
        var z = h
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The key of field `name` = `value`.
    static func field(_ name: String, _ value: UnsafeRawBufferPointer) -> UInt64 {
        var k = KeyHash()
        k.add(0xFF)
        k.add(name)
        k.add(0x00)
        k.add(value)
        return k.value
    }
    static func field(_ name: String, _ value: String) -> UInt64 {
        var v = value
        return v.withUTF8 { field(name, UnsafeRawBufferPointer($0)) }
    }

    /// The key of an id in a line (kind `LineTemplate.uuid` or `.hex32`, 16 bytes).
    static func lineID(_ kind: UInt8, _ id: UnsafeRawBufferPointer) -> UInt64 {
        // 16 bytes: two words mixed (FNV's byte loop is slow on the ingest path).
        let a = UInt64(littleEndian: id.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let b = UInt64(littleEndian: id.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        var k = KeyHash()
        k.h = (0xFE00 | UInt64(kind)) &* 0x9E37_79B9_7F4A_7C15
        k.h = (k.h ^ a) &* 0xBF58_476D_1CE4_E5B9
        k.h = (k.h ^ (k.h >> 31) ^ b) &* 0x94D0_49BB_1331_11EB
        return k.value
    }
}
