/// Why a change event, its header or one of its field lists could not be decoded.
///
/// `field` is the path of the offending member as it appears in the payload
/// (`ChangeEventHeader.sequenceNumber`, `detail.payload`, `ChangeEventHeader.recordIds[1]`), or
/// `nil` when the problem is the document as a whole. `message` says what was expected and what
/// was found, so it can go to the client that sent the event as it is.
public struct ChangeEventError: Error, Hashable, CustomStringConvertible {
    /// The path of the member at fault, or `nil` when the whole document is at fault.
    public var field: String?
    /// What was expected and what was found.
    public var message: String

    /// An error about `field` (or the whole document when `nil`).
    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or just the message when no field is named.
    public var description: String {
        if let field { "\(field): \(message)" } else { message }
    }
}
