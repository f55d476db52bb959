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
    /// The parts themselves.
    @usableFromInline
    struct Values: Sendable, Hashable {
        @usableFromInline var position: UInt64
        @usableFromInline var stream: StreamName
        @usableFromInline var version: UInt64
        @usableFromInline var type: String
        @usableFromInline var recordedAt: Timestamp
        @usableFromInline var metadata: JSONObject
        @usableFromInline var data: JSONValue
    }

    @usableFromInline
    final class Parts: Sendable {
        @usableFromInline let values: Values

        @usableFromInline
        init(_ values: Values) {
            self.values = values
        }
    }

    @usableFromInline var parts: Parts

    /// Sets one part in a new box, leaving other copies' parts alone.
    private mutating func setPart<Part>(_ part: WritableKeyPath<Values, Part>, _ value: Part) {
        var values = parts.values
        values[keyPath: part] = value
        parts = Parts(values)
    }

    /// Place in the global log: 1, 2, 3, … in commit order, without gaps.
    public var position: UInt64 {
        @inlinable get { parts.values.position }
        set { setPart(\.position, newValue) }
    }

    /// The stream (record) the event belongs to.
    public var stream: StreamName {
        @inlinable get { parts.values.stream }
        set { setPart(\.stream, newValue) }
    }

    /// Place in its stream: 1 for the stream's first event.
    public var version: UInt64 {
        @inlinable get { parts.values.version }
        set { setPart(\.version, newValue) }
    }

    /// The stable stored type name.
    public var type: String {
        @inlinable get { parts.values.type }
        set { setPart(\.type, newValue) }
    }

    /// When the event was committed (or the time kept from an import).
    public var recordedAt: Timestamp {
        @inlinable get { parts.values.recordedAt }
        set { setPart(\.recordedAt, newValue) }
    }

    /// Facts about the event.
    public var metadata: JSONObject {
        @inlinable get { parts.values.metadata }
        set { setPart(\.metadata, newValue) }
    }

    /// The payload.
    public var data: JSONValue {
        @inlinable get { parts.values.data }
        set { setPart(\.data, newValue) }
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
        parts = Parts(Values(position: position, stream: stream, version: version, type: type, recordedAt: recordedAt, metadata: metadata, data: data))
    }

    public static func == (lhs: RecordedEvent, rhs: RecordedEvent) -> Bool {
        lhs.parts === rhs.parts || lhs.parts.values == rhs.parts.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(parts.values)
    }
}
