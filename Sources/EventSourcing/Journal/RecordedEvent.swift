import JSON

/// An event as the journal holds it: committed, with its global position and stream version.
///
/// Its parts sit in one shared, immutable box, so a copy is a single retain (setting a
/// part makes a new box: events are built once and rarely changed). Events are copied a
/// lot: the projection runner sorts each page of the log by record type, and every projection
/// walks its share. Copied part by part (the stream's id, the type, the metadata, the data: a
/// retain each, on objects spread over the heap), copying and destroying events took 9% of a
/// full replay's `perf` samples.
public struct RecordedEvent: Sendable, Hashable {
    @usableFromInline
    final class Parts: Sendable {
        @usableFromInline let position: UInt64
        @usableFromInline let stream: StreamName
        @usableFromInline let version: UInt64
        @usableFromInline let type: String
        @usableFromInline let recordedAt: Timestamp
        @usableFromInline let metadata: JSONObject
        @usableFromInline let data: JSONValue

        @usableFromInline
        init(position: UInt64, stream: StreamName, version: UInt64, type: String, recordedAt: Timestamp, metadata: JSONObject, data: JSONValue) {
            self.position = position
            self.stream = stream
            self.version = version
            self.type = type
            self.recordedAt = recordedAt
            self.metadata = metadata
            self.data = data
        }
    }

    @usableFromInline var parts: Parts

    /// Place in the global log: 1, 2, 3, … in commit order, without gaps.
    public var position: UInt64 {
        @inlinable get { parts.position }
        set { parts = Parts(position: newValue, stream: parts.stream, version: parts.version, type: parts.type, recordedAt: parts.recordedAt, metadata: parts.metadata, data: parts.data) }
    }
    /// The stream (record) the event belongs to.
    public var stream: StreamName {
        @inlinable get { parts.stream }
        set { parts = Parts(position: parts.position, stream: newValue, version: parts.version, type: parts.type, recordedAt: parts.recordedAt, metadata: parts.metadata, data: parts.data) }
    }
    /// Place in its stream: 1 for the stream's first event.
    public var version: UInt64 {
        @inlinable get { parts.version }
        set { parts = Parts(position: parts.position, stream: parts.stream, version: newValue, type: parts.type, recordedAt: parts.recordedAt, metadata: parts.metadata, data: parts.data) }
    }
    /// The stable stored type name.
    public var type: String {
        @inlinable get { parts.type }
        set { parts = Parts(position: parts.position, stream: parts.stream, version: parts.version, type: newValue, recordedAt: parts.recordedAt, metadata: parts.metadata, data: parts.data) }
    }
    /// When the event was committed (or the time kept from an import).
    public var recordedAt: Timestamp {
        @inlinable get { parts.recordedAt }
        set { parts = Parts(position: parts.position, stream: parts.stream, version: parts.version, type: parts.type, recordedAt: newValue, metadata: parts.metadata, data: parts.data) }
    }
    /// Facts about the event.
    public var metadata: JSONObject {
        @inlinable get { parts.metadata }
        set { parts = Parts(position: parts.position, stream: parts.stream, version: parts.version, type: parts.type, recordedAt: parts.recordedAt, metadata: newValue, data: parts.data) }
    }
    /// The payload.
    public var data: JSONValue {
        @inlinable get { parts.data }
        set { parts = Parts(position: parts.position, stream: parts.stream, version: parts.version, type: parts.type, recordedAt: parts.recordedAt, metadata: parts.metadata, data: newValue) }
    }

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
        parts = Parts(position: position, stream: stream, version: version, type: type, recordedAt: recordedAt, metadata: metadata, data: data)
    }

    public static func == (lhs: RecordedEvent, rhs: RecordedEvent) -> Bool {
        if lhs.parts === rhs.parts { return true }
        return lhs.position == rhs.position && lhs.stream == rhs.stream && lhs.version == rhs.version && lhs.type == rhs.type
            && lhs.recordedAt == rhs.recordedAt && lhs.metadata == rhs.metadata && lhs.data == rhs.data
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(position)
        hasher.combine(stream)
        hasher.combine(version)
        hasher.combine(type)
        hasher.combine(recordedAt)
        hasher.combine(metadata)
        hasher.combine(data)
    }
}
