/// Why `ByteReader` could not read what was asked: the data ends too soon or is malformed.
///
/// Met when stored bytes are truncated or corrupt; `offset` is where in the data the read that
/// failed started, `message` says what was expected there.
public struct ByteReaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The byte offset in the data at which the failed read started.
    public var offset: Int
    /// What is wrong, for example "unexpected end of data at byte 12: needed 8 bytes, 3 left".
    public var message: String

    /// An error at `offset` described by `message`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The data ends before `needed` more bytes could be read at `offset`.
    @usableFromInline
    static func truncated(at offset: Int, needed: Int, available: Int) -> ByteReaderError {
        ByteReaderError(
            offset: offset,
            message: "unexpected end of data at byte \(offset): needed \(needed) bytes, \(available) left"
        )
    }
}
