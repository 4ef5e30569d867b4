import Synchronization

/// A consistent view of a store's segments at one manifest generation.
///
/// While a snapshot is alive, none of its files is deleted, even if compaction or retention
/// removes them from the manifest meanwhile. Release it when the read is done (or let it
/// deinit); `release()` may be called more than once.
public final class SegmentSnapshot: Sendable {
    /// The manifest generation the snapshot shows.
    public let generation: UInt64
    /// The live segments at that generation, in publication order.
    public let entries: [SegmentEntry]
    /// The manifest's store state at that generation.
    public let storeState: [UInt8]
    let owner: SegmentSet
    let released = Atomic<Bool>(false)

    init(owner: SegmentSet, generation: UInt64, entries: [SegmentEntry], storeState: [UInt8] = []) {
        self.owner = owner
        self.storeState = storeState
        self.generation = generation
        self.entries = entries
    }

    /// The path of `entry`'s file.
    public func path(of entry: SegmentEntry) -> String { owner.path(of: entry.name) }

    /// Lets go of the files; retired ones nobody else holds are deleted now.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        owner.release(generation: generation)
    }

    deinit { release() }
}
