import JSON

/// One Salesforce change event, taken out of whichever envelope carried it.
///
/// This is where ingestion starts: ``decode(_:)`` accepts every shape `POST /v1/cdc` allows
/// (EventBridge from Event Relay or AppFlow, a CometD message or its `data`, a bare payload) and
/// yields the validated ``header``, the body ``fields`` exactly as received, and the transport
/// facts worth keeping as metadata (replay id, schema id, EventBridge id and source, channel).
/// Nothing here interprets field values: mappings do that when reading.
public struct ChangeEvent: Sendable, Hashable {
    /// The validated change event header.
    public var header: ChangeEventHeader
    /// Every body member except `ChangeEventHeader`, as received and in the order received (in
    /// Pub/Sub payloads that is the order of the event's schema).
    public var fields: JSONObject
    /// The envelope the event arrived in.
    public var transport: ChangeEventTransport
    /// The replay id (CometD `event.replayId`, or `replayId` beside an Event Relay payload) as its
    /// text: opaque, to be stored, never computed with.
    public var replayId: String?
    /// The id of the event's schema (CometD `schema`, Pub/Sub `schemaId`), when given.
    public var schemaId: String?
    /// EventBridge's own event id (not a Salesforce identity: retries and replays repeat it).
    public var eventBridgeID: String?
    /// The EventBridge `source`, such as `aws.partner/salesforce.com/<orgId>/<channelId>`.
    public var eventBridgeSource: String?
    /// The CometD channel, such as `/data/ChangeEvents`.
    public var channel: String?
    /// Whether `ChangeEventHeader` was the payload's first member, as in decoded Pub/Sub
    /// payloads, whose members follow the schema (field 0 is the header). Only then can the
    /// payload's key order stand in for the schema's field order.
    public var headerLeadsPayload: Bool

    /// A change event from its parts.
    public init(
        header: ChangeEventHeader,
        fields: JSONObject,
        transport: ChangeEventTransport,
        replayId: String? = nil,
        schemaId: String? = nil,
        eventBridgeID: String? = nil,
        eventBridgeSource: String? = nil,
        channel: String? = nil,
        headerLeadsPayload: Bool = false
    ) {
        self.header = header
        self.fields = fields
        self.transport = transport
        self.replayId = replayId
        self.schemaId = schemaId
        self.eventBridgeID = eventBridgeID
        self.eventBridgeSource = eventBridgeSource
        self.channel = channel
        self.headerLeadsPayload = headerLeadsPayload
    }
}
