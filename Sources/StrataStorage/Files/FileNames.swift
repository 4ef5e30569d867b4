/// Every on-disk file name Strata's storage layer uses, in one place.
///
/// A store directory looks like this:
///
/// ```
/// <store>/LOCK              the exclusive lock (DatabaseLock), holds the owner's pid
/// <store>/MANIFEST          the live segments (SegmentManifest), replaced atomically
/// <store>/000042.<ext>      an immutable segment file named by the manifest
/// <store>/wal/00000001.wal  write-ahead log segments (WriteAheadLog)
/// <store>/*.tmp             an unfinished atomic write; removed on open
/// ```
public enum FileNames {
    /// The lock file of a database or store directory.
    public static let lock = "LOCK"
    /// The manifest naming the live segments of a store directory.
    public static let manifest = "MANIFEST"
    /// The directory holding write-ahead log segments.
    public static let walDirectory = "wal"
    /// The extension of write-ahead log segment files.
    public static let walExtension = "wal"
    /// The suffix of a file being written by `AtomicFile` before it is renamed into place.
    public static let temporarySuffix = ".tmp"
    /// The metric store's directory inside a database.
    public static let metricsDirectory = "metrics"
    /// Extension of metric block files (`000001.blk`).
    public static let metricBlockExtension = "blk"

    /// The name of WAL segment `index`: at least eight decimal digits, e.g. `00000001.wal`.
    public static func walSegment(_ index: UInt32) -> String {
        zeroPadded(UInt64(index), width: 8) + "." + walExtension
    }

    /// The index of a WAL segment file name, or nil if `name` is not one.
    public static func walSegmentIndex(_ name: String) -> UInt32? {
        guard let (number, ext) = parseNumbered(name), ext == walExtension, number <= UInt64(UInt32.max) else {
            return nil
        }
        return UInt32(number)
    }

    /// The name of segment `number` with extension `ext`: at least six decimal digits, e.g. `000042.chunks`.
    ///
    /// `ext` must be non-empty lowercase ASCII letters and digits.
    public static func segment(_ number: UInt64, ext: String) -> String {
        precondition(isValidExtension(ext), "segment extension must be [a-z0-9]+, got \(ext)")
        return zeroPadded(number, width: 6) + "." + ext
    }

    /// The number and extension of a segment file name (`<digits>.<ext>`), or nil if `name` is not one.
    public static func parseSegment(_ name: String) -> (number: UInt64, ext: String)? {
        guard let (number, ext) = parseNumbered(name), ext != walExtension else { return nil }
        return (number, ext)
    }

    /// True when `ext` is usable as a segment extension: `[a-z0-9]+`.
    public static func isValidExtension(_ ext: String) -> Bool {
        !ext.isEmpty && ext.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// `directory + "/" + name`.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory part of `path` ("." when there is none).
    public static func parentDirectory(of path: String) -> String {
        var utf8 = Array(path.utf8)
        while utf8.count > 1, utf8.last == UInt8(ascii: "/") { utf8.removeLast() }
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == 0 { return "/" }
        return String(decoding: utf8[..<slash], as: UTF8.self)
    }

    static func zeroPadded(_ n: UInt64, width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Splits `<digits>.<ext>` with `ext` matching `[a-z0-9]+`.
    static func parseNumbered(_ name: String) -> (UInt64, String)? {
        let utf8 = Array(name.utf8)
        guard let dot = utf8.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot <= 20 else { return nil }
        var number: UInt64 = 0
        for b in utf8[..<dot] {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let (m, o1) = number.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            if o1 || o2 { return nil }
            number = s
        }
        let ext = String(decoding: utf8[(dot + 1)...], as: UTF8.self)
        guard isValidExtension(ext) else { return nil }
        return (number, ext)
    }
}
