import JSON

/// An event ready to be appended: what happened, before the journal gives it a place in the log.
public struct NewEvent: Sendable, Hashable {
    /// The stable stored type name, e.g. `ClientUpdated` (never derived from a Swift type name).
    public var type: String
    /// Facts about the event: its source, correlation ids, Salesforce header facts.
    public var metadata: JSONObject
    /// The event's payload.
    public var data: JSONValue
    /// When set, the record time to keep (used when importing events); otherwise the commit time.
    public var recordedAt: Timestamp?

    /// An event to append.
    public init(type: String, metadata: JSONObject = [:], data: JSONValue, recordedAt: Timestamp? = nil) {
        self.type = type
        self.metadata = metadata
        self.data = data
        self.recordedAt = recordedAt
    }
}
