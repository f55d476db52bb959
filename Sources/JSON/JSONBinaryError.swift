/// Why bytes are not a valid binary `JSONValue` (see `JSONValue(binary:)`): they are truncated,
/// corrupt or written by an incompatible format.
public struct JSONBinaryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The byte offset in the data at which the problem was found.
    public var offset: Int
    /// What is wrong, for example "unknown value tag 0x3F at byte 9".
    public var message: String

    /// An error at `offset` described by `message`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// The same problem as a byte-level read error.
    public init(_ error: ByteReaderError) {
        self.offset = error.offset
        self.message = error.message
    }

    /// The message.
    public var description: String { "invalid binary JSON: \(message)" }
}
