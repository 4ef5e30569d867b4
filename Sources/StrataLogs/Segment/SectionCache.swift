import StrataStorage

/// The log store's decoded sections live in a `DecodedCache` within
/// `LogStoreOptions.sectionCacheBytes`: block lists, template dictionaries with their trigram
/// indexes, field index chunk tables.
typealias SectionCache = DecodedCache

/// The sections of a log segment that the cache holds.
enum LogSection: UInt8, Sendable {
    case blocks, dictionary, fieldIndex
}

extension DecodedCache.Key {
    init(path: String, section: LogSection) {
        self.init(path: path, section: section.rawValue)
    }
}
