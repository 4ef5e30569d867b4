import Synchronization

/// The decoded sections of a store's segments (block lists, template dictionaries with their
/// trigram indexes, field index chunk tables), kept within a byte budget: the least recently
/// used go first when a new one would exceed it (`LogStoreOptions.sectionCacheBytes`).
///
/// Sizes are estimates from the bytes a section decoded from (twice them); an evicted section
/// is read and checked again by the next query that needs it. A query that holds a section
/// keeps it alive after eviction until it ends. Failures are not kept: a damaged section is
/// reported again by every query that touches it.
final class SectionCache: Sendable {
    enum Section: UInt8, Sendable {
        case blocks, dictionary, fieldIndex
    }

    struct Key: Hashable, Sendable {
        var path: String
        var section: Section
    }

    private struct Entry {
        var value: any Sendable
        var bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The budget in bytes.
    let budget: Int
    private let state = Mutex(State())

    init(budget: Int) {
        self.budget = max(0, budget)
    }

    /// Bytes held now (estimated).
    var bytes: Int { state.withLock { $0.bytes } }
    /// Sections held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// The section under `key`, from the cache or from `load` (run outside the cache's lock:
    /// two queries may decode the same section at once; the first to finish is kept).
    func value<T: Sendable>(_ key: Key, load: () throws(LogStoreError) -> (T, bytes: Int)) throws(LogStoreError) -> T {
        let hit = state.withLock { st -> T? in
            guard var e = st.entries[key], let v = e.value as? T else { return nil }
            st.clock &+= 1
            e.used = st.clock
            st.entries[key] = e
            return v
        }
        if let hit { return hit }
        let (value, size) = try load()
        state.withLock { st in
            st.clock &+= 1
            if let old = st.entries[key] { st.bytes -= old.bytes }
            st.entries[key] = Entry(value: value, bytes: size, used: st.clock)
            st.bytes += size
            // Evict the least recently used (never the one just loaded) until within budget.
            while st.bytes > budget, st.entries.count > 1 {
                guard let victim = st.entries.filter({ $0.key != key }).min(by: { $0.value.used < $1.value.used })?.key else { break }
                st.bytes -= st.entries[victim]!.bytes
                st.entries[victim] = nil
            }
        }
        return value
    }

    /// Drops every section of the file at `path` (its segment was retired).
    func remove(path: String) {
        state.withLock { st in
            for k in st.entries.keys where k.path == path {
                st.bytes -= st.entries[k]!.bytes
                st.entries[k] = nil
            }
        }
    }
}
