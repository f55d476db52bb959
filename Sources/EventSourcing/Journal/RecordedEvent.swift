import JSON

/// An event as the journal holds it: committed, with its global position and stream version.
public struct RecordedEvent: Sendable, Hashable {
    /// Place in the global log: 1, 2, 3, … in commit order, without gaps.
    public var position: UInt64
    /// The stream (record) the event belongs to.
    public var stream: StreamName
    /// Place in its stream: 1 for the stream's first event.
    public var version: UInt64
    /// The stable stored type name.
    public var type: String
    /// When the event was committed (or the time kept from an import).
    public var recordedAt: Timestamp
    /// Facts about the event.
    public var metadata: JSONObject
    /// The payload.
    public var data: JSONValue

    /// A recorded event.
    public init(
        position: UInt64,
        stream: StreamName,
        version: UInt64,
        type: String,
        recordedAt: Timestamp,
        metadata: JSONObject,
        data: JSONValue
    ) {
        self.position = position
        self.stream = stream
        self.version = version
        self.type = type
        self.recordedAt = recordedAt
        self.metadata = metadata
        self.data = data
    }
}
