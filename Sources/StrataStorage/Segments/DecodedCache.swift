import Synchronization

/// What a store decoded from its immutable segment files (log block lists and dictionaries,
/// metric block indexes, span segment indexes), kept within a byte budget: the least recently
/// used go first when a new entry would exceed it. Each store has one; its options name the
/// budget (`LogStoreOptions.sectionCacheBytes`, `MetricStoreOptions.readerCacheBytes`,
/// `TraceStoreOptions.readerCacheBytes`).
///
/// Sizes are the loader's estimates; an evicted entry is read and checked again by the next
/// query that needs it. A query that holds an entry keeps it alive after eviction until it
/// ends. Failures are not kept: a damaged section is reported again by every query that
/// touches it.
///
/// ```swift
/// let cache = DecodedCache(budget: 64 << 20)
/// let index = try cache.value(DecodedCache.Key(path: path, section: 0)) { () throws(StorageError) in
///     let decoded = try decodeIndex(path)
///     return (decoded, bytes: decoded.estimatedBytes)
/// }
/// ```
public final class DecodedCache: Sendable {
    /// A file and which of its sections (the store's own numbering).
    public struct Key: Hashable, Sendable {
        public var path: String
        public var section: UInt8

        public init(path: String, section: UInt8) {
            self.path = path
            self.section = section
        }
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
    public let budget: Int
    private let state = Mutex(State())

    /// A cache that holds at most `budget` bytes (estimated); at least the entry last loaded.
    public init(budget: Int) {
        self.budget = max(0, budget)
    }

    /// Bytes held now (estimated).
    public var bytes: Int { state.withLock { $0.bytes } }
    /// Entries held now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The entry under `key`, from the cache or from `load` (run outside the cache's lock: two
    /// queries may decode the same section at once; the last to finish is kept).
    public func value<T: Sendable, E: Error>(_ key: Key, load: () throws(E) -> (T, bytes: Int)) throws(E) -> T {
        if let hit = cached(key, as: T.self) { return hit }
        let (value, size) = try load()
        insert(key, value, bytes: size)
        return value
    }

    /// The entry under `key` if it is held (and of type `T`); marks it used.
    public func cached<T: Sendable>(_ key: Key, as: T.Type) -> T? {
        state.withLock { st -> T? in
            guard var e = st.entries[key], let v = e.value as? T else { return nil }
            st.clock &+= 1
            e.used = st.clock
            st.entries[key] = e
            return v
        }
    }

    /// Holds `value` under `key`, evicting the least recently used others until within budget.
    public func insert<T: Sendable>(_ key: Key, _ value: T, bytes size: Int) {
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
    }

    /// Drops every entry of the file at `path` (its segment was retired).
    public func remove(path: String) {
        state.withLock { st in
            for k in st.entries.keys where k.path == path {
                st.bytes -= st.entries[k]!.bytes
                st.entries[k] = nil
            }
        }
    }
}
