import StrataEncoding
import StrataStorage

/// The trace store's tombstone: the base_ids of traces a `delete` covered, kept in the
/// manifest's store state (`StoreState.tombstones`) until `applyDeletions` rewrites the
/// segments without them (Docs/format/manifest.md § Trace store state):
///
/// ```
/// [version u8 = 1][count uvarint, 1...63][base_id: 16 bytes, TraceID.bytes]*count   (strictly ascending)
/// ```
/// At most 1 + 1 + 63 × 16 = 1010 bytes, within `StoreState.maxTombstoneBytes`.
enum TraceTombstone {
    static let version: UInt8 = 1
    /// Base_ids one tombstone holds.
    static let maxTraces = 63
    /// Base_ids all the tombstones of a manifest can hold together.
    static let maxPendingTraces = StoreState.maxTombstones * maxTraces

    /// The tombstones holding `bases`, `maxTraces` a tombstone, in ascending order.
    static func encode(_ bases: [TraceID]) -> [[UInt8]] {
        let sorted = Set(bases).sorted()
        var out: [[UInt8]] = []
        var i = 0
        while i < sorted.count {
            let chunk = sorted[i..<min(sorted.count, i + maxTraces)]
            var w = ByteWriter(capacity: 2 + 16 * chunk.count)
            w.appendUInt8(version)
            w.appendVarint(UInt64(chunk.count))
            for id in chunk {
                w.append(contentsOf: id.bytes)
            }
            out.append(w.bytes)
            i += maxTraces
        }
        return out
    }

    /// The base_ids of one tombstone.
    /// - Throws: `FormatError` for another version, a count out of range, a length that does
    ///   not match it, or ids out of order.
    static func decode(_ bytes: [UInt8]) throws(FormatError) -> [TraceID] {
        var r = ByteReader(bytes)
        let v = try r.readUInt8()
        guard v == version else {
            throw FormatError(.unsupportedVersion, at: 0, "trace tombstone version \(v) (this build reads \(version))")
        }
        let n = try r.readVarint()
        guard n >= 1 && n <= UInt64(maxTraces) else { throw FormatError(.invalid, at: 1, "trace tombstone of \(n) base_ids (1...\(maxTraces))") }
        guard r.remaining == Int(n) * 16 else {
            throw FormatError(.invalid, at: r.position, "trace tombstone of \(n) base_ids holds \(r.remaining) bytes of them, not \(Int(n) * 16)")
        }
        var out: [TraceID] = []
        out.reserveCapacity(Int(n))
        for _ in 0..<n {
            let at = r.position
            let b = try r.readBytes(16)
            var high: UInt64 = 0, low: UInt64 = 0
            for (i, x) in b.enumerated() {
                if i < 8 { high = high << 8 | UInt64(x) } else { low = low << 8 | UInt64(x) }
            }
            let id = TraceID(high: high, low: low)
            if let last = out.last, !(last < id) { throw FormatError(.invalid, at: at, "trace tombstone base_ids out of order") }
            out.append(id)
        }
        return out
    }
}

extension TraceStore {
    /// The base_ids the tombstones of `snapshot`'s store state hide, decoded once per manifest
    /// generation. A state without tombstones (version 1, the usual case) costs one byte compare.
    /// - Throws: `StorageError` naming the manifest when the state or a tombstone does not decode.
    func deletedBases(_ snapshot: SegmentSnapshot) throws(StorageError) -> Set<TraceID> {
        guard snapshot.storeState.first == 2 else { return [] }
        if let cached = deletedCache.withLock({ $0 }), cached.generation == snapshot.generation { return cached.bases }
        var bases = Set<TraceID>()
        for t in try tombstones(snapshot) { bases.formUnion(t.bases) }
        deletedCache.withLock { $0 = (snapshot.generation, bases) }
        return bases
    }

    /// The tombstones of `snapshot`'s store state, raw and decoded, in the order they were made.
    func tombstones(_ snapshot: SegmentSnapshot) throws(StorageError) -> [(bytes: [UInt8], bases: [TraceID])] {
        do throws(FormatError) {
            let state = try StoreState(snapshot)
            var out: [(bytes: [UInt8], bases: [TraceID])] = []
            for (i, t) in state.tombstones.enumerated() {
                do throws(FormatError) {
                    out.append((t, try TraceTombstone.decode(t)))
                } catch {
                    throw FormatError(error.kind, at: error.offset, "trace tombstone \(i + 1) of \(state.tombstones.count): \(error.detail)")
                }
            }
            return out
        } catch {
            throw StorageError(path: segments.manifestPath, error)
        }
    }
}
