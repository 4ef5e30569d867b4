/// A decoder found bytes it cannot accept.
///
/// Every decoder in Strata distrusts its input: it checks lengths, magic numbers,
/// versions and checksums before it reads, and reports what was wrong and where
/// instead of trapping. `offset` is relative to the start of the buffer the decoder
/// was given; callers that know the file add its path (see `StrataStorage.StorageError`).
public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of problem the decoder found.
    public enum Kind: Equatable, Sendable {
        /// The buffer ended before the value did.
        case truncated
        /// A varint ran past 10 bytes or overflowed 64 bits.
        case badVarint
        /// The magic number is not the one this decoder reads.
        case badMagic
        /// The format version is newer than this build understands.
        case unsupportedVersion
        /// A stored checksum does not match the bytes it covers.
        case checksumMismatch
        /// A compressed block did not decompress to its declared size.
        case badCompression
        /// Any other violated invariant.
        case invalid
    }

    /// What kind of problem this is.
    public var kind: Kind
    /// Byte offset at which the problem was found.
    public var offset: Int
    /// A short human-readable explanation.
    public var detail: String

    /// Creates an error of `kind` at `offset`.
    public init(_ kind: Kind, at offset: Int, _ detail: String = "") {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    /// What kind of problem, in words: "checksum mismatch", "truncated data", ...
    public var what: String {
        switch kind {
        case .truncated: "truncated data"
        case .badVarint: "malformed varint"
        case .badMagic: "bad magic number"
        case .unsupportedVersion: "unsupported format version"
        case .checksumMismatch: "checksum mismatch"
        case .badCompression: "corrupt compressed block"
        case .invalid: "invalid data"
        }
    }

    /// `what`, and `detail` after a colon when there is one (no offset).
    public var explanation: String { detail.isEmpty ? what : what + ": " + detail }

    public var description: String { "\(what) at offset \(offset)" + (detail.isEmpty ? "" : ": " + detail) }
}
