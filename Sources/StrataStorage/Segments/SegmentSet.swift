import StrataEncoding
import Synchronization

/// The live segments of one store directory and their lifecycle.
///
/// - A segment file becomes visible to readers when a `publish` that adds it has atomically
///   replaced `MANIFEST`; before that it is invisible, and a crash leaves it an orphan.
/// - A segment removed by `publish` is retired: it is deleted as soon as no `SegmentSnapshot`
///   taken before the publish holds it (at once if none does).
/// - `open` deletes orphans: segment-named files the manifest does not list (unpublished
///   outputs, retired files whose deletion a crash interrupted) and `*.tmp` files. It never
///   touches `LOCK`, `MANIFEST` or the `wal` directory.
///
/// ```swift
/// let set = try SegmentSet.open(directory: storeDir)
/// let name = set.nextSegmentName(ext: "block")
/// // write and fsync set.path(of: name), then:
/// try set.publish(adding: [SegmentEntry(name: name, ...)], removing: compactedNames)
/// let snap = set.snapshot()            // a consistent view for a query
/// defer { snap.release() }
/// ```
///
/// Thread-safe. Publishes are serialised; snapshots are cheap and never wait for a publish's I/O.
public final class SegmentSet: Sendable {
    /// The store directory.
    public let directory: String
    package let fs: any FileSystem

    struct State {
        var manifest: SegmentManifest
        /// Live snapshots per manifest generation. A snapshot holds every segment its
        /// generation lists, so one count per generation is enough (not one per segment:
        /// a trace lookup takes a snapshot of hundreds of segments).
        var snapshots: [UInt64: Int] = [:]
        /// Names removed from the manifest and still held by a snapshot, with the last
        /// generation that listed them.
        var retired: [String: UInt64] = [:]
        /// Set when a manifest write failed after its rename: memory and disk may disagree.
        var failure: StorageError?
    }

    let state: Mutex<State>
    /// Held for the whole of a publish, so manifest writes happen one at a time.
    let publishing = Mutex(())

    init(directory: String, fs: any FileSystem, manifest: SegmentManifest) {
        self.directory = directory
        self.fs = fs
        self.state = Mutex(State(manifest: manifest))
    }

    /// The path of `MANIFEST`.
    public var manifestPath: String { FileNames.join(directory, FileNames.manifest) }

    /// The path of the file `name` in the store directory.
    public func path(of name: String) -> String { FileNames.join(directory, name) }

    /// Opens the store directory (creating it and an empty manifest if new), checks that
    /// every listed segment exists with its recorded size, and deletes orphans. With `readOnly`
    /// (another process may hold the lock and write) nothing is created or deleted: a missing
    /// directory is an empty set, orphans are left to the writer. Do not publish through a
    /// read-only set.
    ///
    /// - Throws: `StorageError.corrupt` naming `MANIFEST` and the offset when it does not
    ///   decode, or naming a listed segment that is missing or has the wrong size;
    ///   `StorageError.corrupt` too when `MANIFEST` is missing but segment files exist
    ///   (they are never deleted on a guess); `StorageError.io` for failed system calls.
    public static func open(directory: String, fs: any FileSystem = SystemFileSystem(), readOnly: Bool = false) throws(StorageError)
        -> SegmentSet
    {
        if readOnly {
            guard try fs.exists(directory) else { return SegmentSet(directory: directory, fs: fs, manifest: SegmentManifest()) }
        } else {
            try fs.createDirectory(directory)
        }
        let names = try fs.listDirectory(directory)
        let manifestPath = FileNames.join(directory, FileNames.manifest)
        let manifest: SegmentManifest
        if names.contains(FileNames.manifest) {
            let bytes = try fs.readFile(manifestPath)
            do throws(FormatError) {
                manifest = try SegmentManifest(decoding: bytes)
            } catch {
                throw StorageError(path: manifestPath, error)
            }
        } else {
            let segments = names.filter { FileNames.parseSegment($0) != nil }.sorted()
            if let first = segments.first {
                throw StorageError.corrupt(
                    path: manifestPath, offset: 0,
                    detail: "missing, but \(segments.count) segment file(s) exist (first \(first)); not deleting them")
            }
            manifest = SegmentManifest()
            if !readOnly { try AtomicFile.write(manifest.encoded(), to: manifestPath, fs: fs) }
        }

        let listed = Set(manifest.entries.map(\.name))
        for entry in manifest.entries {
            let p = FileNames.join(directory, entry.name)
            let size: Int
            do throws(StorageError) {
                size = try fs.fileSize(p)
            } catch {
                guard error.isNotFound else { throw error }
                if readOnly {
                    throw StorageError.invalidState(
                        path: p, detail: "the segment was retired by a writer while the manifest was read; try again")
                }
                throw StorageError.corrupt(
                    path: p, offset: 0, detail: "listed in MANIFEST generation \(manifest.generation) but missing")
            }
            guard UInt64(size) == entry.sizeBytes else {
                throw StorageError.corrupt(
                    path: p, offset: size,
                    detail:
                        "MANIFEST generation \(manifest.generation) says \(entry.sizeBytes) bytes, the file has \(size)"
                )
            }
        }
        if readOnly { return SegmentSet(directory: directory, fs: fs, manifest: manifest) }
        var removedOrphans = false
        for name in names where name != FileNames.manifest && name != FileNames.lock && name != FileNames.walDirectory {
            let isOrphan =
                name.hasSuffix(FileNames.temporarySuffix)
                || (FileNames.parseSegment(name) != nil && !listed.contains(name))
            if isOrphan {
                try fs.unlink(FileNames.join(directory, name))
                removedOrphans = true
            }
        }
        if removedOrphans { try fs.fsyncDirectory(directory) }
        return SegmentSet(directory: directory, fs: fs, manifest: manifest)
    }

    /// The generation of the current manifest.
    public var generation: UInt64 { state.withLock { $0.manifest.generation } }

    /// For a read-only set: fails when the manifest on disk is no longer the one this set read (a
    /// writer published since, and may have retired WAL segments the reader expected), so the
    /// reader opens again.
    /// - Throws: `StorageError.invalidState` ending in "try again", or the error reading `MANIFEST`.
    public func checkStillCurrent() throws(StorageError) {
        let path = FileNames.join(directory, FileNames.manifest)
        guard try fs.exists(path) else { return }
        let bytes = try fs.readFile(path)
        let onDisk: SegmentManifest
        do throws(FormatError) { onDisk = try SegmentManifest(decoding: bytes) } catch { throw StorageError(path: path, error) }
        if onDisk.generation != generation {
            throw StorageError.invalidState(
                path: path, detail: "a writer published generation \(onDisk.generation) while generation \(generation) was read; try again")
        }
    }

    /// The current live segments (use `snapshot()` to read their files safely).
    public var entries: [SegmentEntry] { state.withLock { $0.manifest.entries } }

    /// Names removed from the manifest whose files wait for snapshots to release them.
    public var retiredSegmentNames: [String] { state.withLock { $0.retired.keys.sorted() } }

    /// Allocates a fresh segment file name, `<number>.<ext>`, never used before in this directory.
    ///
    /// The counter is persisted by the next `publish`; a name allocated but never published
    /// belongs to an orphan that the next `open` deletes, so it is safe to hand out again.
    /// - Parameter ext: lowercase letters and digits, e.g. "block".
    public func nextSegmentName(ext: String) -> String {
        let number = state.withLock { s in
            defer { s.manifest.nextSegmentNumber += 1 }
            return s.manifest.nextSegmentNumber
        }
        return FileNames.segment(number, ext: ext)
    }

    /// A consistent view of the live segments; their files stay on disk until it is released.
    public func snapshot() -> SegmentSnapshot {
        state.withLock { s in
            s.snapshots[s.manifest.generation, default: 0] += 1
            return SegmentSnapshot(
                owner: self, generation: s.manifest.generation, entries: s.manifest.entries,
                storeState: s.manifest.storeState)
        }
    }

    /// Atomically replaces the set of live segments: adds `adding`, removes the segments named
    /// in `removing`, and writes the next manifest generation.
    ///
    /// Each added file must be complete and fsynced, named by `nextSegmentName(ext:)`, and exactly
    /// `sizeBytes` long. Removed files are deleted once no snapshot holds them; a failed deletion
    /// leaves an orphan for the next `open`.
    ///
    /// If this throws before the manifest was replaced, nothing changed and the call can be
    /// retried; do not delete the added files yourself if unsure (orphans are cleaned on open).
    /// If the new manifest may already be on disk (the directory fsync failed), the set refuses
    /// further publishes; reopen the store.
    /// - Throws: `StorageError.invalidState` for names that are not live (removing) or not new
    ///   (adding) or sizes that do not match; `StorageError.io` from the manifest write.
    /// - Parameter storeState: replaces the manifest's store state in the same atomic write; nil keeps it.
    public func publish(adding: [SegmentEntry], removing: [String], storeState: [UInt8]? = nil) throws(StorageError) {
        try publish(adding: adding, removing: removing) { (current: [UInt8]) throws(StorageError) -> [UInt8] in storeState ?? current }
    }

    /// `publish(adding:removing:storeState:)` with the next store state computed from the
    /// current one under the publish lock (a throw publishes nothing).
    package func publish(
        adding: [SegmentEntry], removing: [String], transformingState transform: ([UInt8]) throws(StorageError) -> [UInt8]
    ) throws(StorageError) {
        try publishing.withLock { _ throws(StorageError) in
            let (current, failure) = state.withLock { ($0.manifest, $0.failure) }
            if let failure { throw failure }
            try validate(adding: adding, removing: removing, current: current)

            let removed = Set(removing)
            var next = current
            next.generation += 1
            next.entries = current.entries.filter { !removed.contains($0.name) } + adding
            next.storeState = try transform(current.storeState)
            if !adding.isEmpty { try fs.fsyncDirectory(directory) }  // the new files' entries first
            var renamed = false
            do throws(StorageError) {
                try AtomicFile.write(next.encoded(), to: manifestPath, fs: fs, renamed: &renamed)
            } catch {
                if renamed { state.withLock { $0.failure = error } }
                throw error
            }

            let deletable = state.withLock { s -> [String] in
                // Snapshots of this generation or older may still read the removed files.
                let last = s.manifest.generation
                s.manifest.generation = next.generation
                s.manifest.entries = next.entries
                s.manifest.storeState = next.storeState
                let held = s.snapshots.keys.contains { $0 <= last }
                var now: [String] = []
                for name in removing {
                    if held { s.retired[name] = last } else { now.append(name) }
                }
                return now
            }
            delete(deletable)
        }
    }

    func validate(adding: [SegmentEntry], removing: [String], current: SegmentManifest) throws(StorageError) {
        let live = Set(current.entries.map(\.name))
        var removed = Set<String>()
        for name in removing {
            guard live.contains(name) else {
                throw StorageError.invalidState(path: manifestPath, detail: "cannot remove \(name): not a live segment")
            }
            guard removed.insert(name).inserted else {
                throw StorageError.invalidState(path: manifestPath, detail: "cannot remove \(name) twice")
            }
        }
        var added = Set<String>()
        for e in adding {
            guard let (number, _) = FileNames.parseSegment(e.name), number < current.nextSegmentNumber else {
                throw StorageError.invalidState(
                    path: manifestPath, detail: "cannot add \(e.name): not a name from nextSegmentName(ext:)")
            }
            guard !live.contains(e.name), added.insert(e.name).inserted else {
                throw StorageError.invalidState(path: manifestPath, detail: "cannot add \(e.name): already listed")
            }
            guard e.minTime <= e.maxTime else {
                throw StorageError.invalidState(path: manifestPath, detail: "cannot add \(e.name): minTime > maxTime")
            }
            guard e.metadata.count <= SegmentManifest.maxMetadata else {
                throw StorageError.invalidState(
                    path: manifestPath, detail: "cannot add \(e.name): metadata over 16 MiB")
            }
            let size = try fs.fileSize(path(of: e.name))
            guard UInt64(size) == e.sizeBytes else {
                throw StorageError.invalidState(
                    path: path(of: e.name), detail: "entry says \(e.sizeBytes) bytes, the file has \(size)")
            }
        }
    }

    /// Drops a snapshot of `generation`; deletes retired files no live snapshot can read any more.
    func release(generation: UInt64) {
        let deletable = state.withLock { s -> [String] in
            let n = s.snapshots[generation, default: 1] - 1
            s.snapshots[generation] = n > 0 ? n : nil
            guard !s.retired.isEmpty else { return [] }
            let oldest = s.snapshots.keys.min() ?? .max
            // A file last listed by generation g is free once every live snapshot is newer.
            let now = s.retired.filter { $0.value < oldest }.map(\.key)
            for name in now { s.retired[name] = nil }
            return now.sorted()
        }
        delete(deletable)
    }

    func delete(_ names: [String]) {
        // A file that cannot be deleted now is an orphan, removed by the next open.
        for name in names { try? fs.unlink(path(of: name)) }
    }
}
