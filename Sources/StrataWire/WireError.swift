/// A request body that could not be read: what is wrong and, when known, the byte offset in the
/// (decompressed) body where the reader gave up.
public struct WireError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// The bytes are not what the format says (bad protobuf, bad snappy, bad JSON, bad labels).
        case malformed
        /// A limit was reached (body, decompressed size, series, samples, label length).
        case tooLarge
        /// Valid input of a kind this server does not take.
        case unsupported
        /// The store could not take what was decoded (its WAL failed, or it is read-only).
        case storage
    }

    public var kind: Kind
    public var message: String
    /// Offset in the decoded body, when the problem is at one place.
    public var offset: Int?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String {
        guard let offset else { return message }
        return "\(message) (at byte \(offset))"
    }
}
