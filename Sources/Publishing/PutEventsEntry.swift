import EventSourcing

/// One entry of an EventBridge `PutEvents` call.
public struct PutEventsEntry: Sendable, Hashable {
    /// `Source`, e.g. `tributary`.
    public var source: String
    /// `DetailType`: the event type, e.g. `ClientUpdated`.
    public var detailType: String
    /// `Detail`: a JSON object, as text.
    public var detail: [UInt8]
    /// `EventBusName`; the default bus when `nil`.
    public var eventBusName: String?
    /// `Time`.
    public var time: Timestamp?

    /// An entry.
    public init(source: String, detailType: String, detail: [UInt8], eventBusName: String?, time: Timestamp?) {
        self.source = source
        self.detailType = detailType
        self.detail = detail
        self.eventBusName = eventBusName
        self.time = time
    }

    /// The size EventBridge counts against its 256 KB limit: `Time` (14 bytes when present) plus
    /// the UTF-8 bytes of `Source`, `DetailType` and `Detail`.
    public var size: Int {
        (time == nil ? 0 : 14) + source.utf8.count + detailType.utf8.count + detail.count
    }
}

/// What EventBridge said about one entry of a `PutEvents` call.
public struct PutEventsResult: Sendable, Hashable {
    /// The event id of an accepted entry.
    public var eventID: String?
    /// The error code of a failed entry (`InternalFailure`, `ThrottlingException`, …).
    public var errorCode: String?
    /// The error message of a failed entry.
    public var errorMessage: String?

    /// A result.
    public init(eventID: String? = nil, errorCode: String? = nil, errorMessage: String? = nil) {
        self.eventID = eventID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    /// Whether EventBridge accepted the entry.
    public var accepted: Bool { errorCode == nil }

    /// Whether a failed entry may succeed when sent again (EventBridge's transient codes).
    public var isTransient: Bool {
        errorCode == "InternalFailure" || errorCode == "ThrottlingException"
    }
}

/// Something that accepts `PutEvents` calls: EventBridge itself (`EventBridgeClient`), or a test's
/// stand-in for failures the emulator cannot produce.
public protocol EventBus: Sendable {
    /// Puts `entries` (at most 10, 256 KB in all); returns one result per entry, in order.
    func putEvents(_ entries: [PutEventsEntry]) async throws -> [PutEventsResult]
}
