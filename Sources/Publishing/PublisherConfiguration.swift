import AWS

/// Where and how the outbox publisher sends committed events.
public struct PublisherConfiguration: Sendable {
    /// The bus events go to (a name or an ARN).
    public var eventBusName: String
    /// The `Source` of every event.
    public var source: String
    /// The AWS region.
    public var region: String
    /// EventBridge's endpoint: the region's by default, an emulator's for local runs.
    public var endpoint: AWSEndpoint
    /// The credentials that sign the calls.
    public var credentials: AWSCredentials
    /// The longest one `PutEvents` call may take.
    public var requestTimeout: Duration = .seconds(10)
    /// The most entries in one call (EventBridge allows 10).
    public var maxBatchEntries = 10
    /// The most bytes in one call, and in one entry (EventBridge allows 256 KB); a larger event
    /// is published as a reference.
    public var maxBatchBytes = 256 * 1024
    /// The first pause after a failed call or entry; it doubles up to `maxBackoff`.
    public var initialBackoff: Duration = .milliseconds(100)
    /// The longest pause between attempts.
    public var maxBackoff: Duration = .seconds(30)
    /// How long the publisher waits for the read models to apply an event before publishing it
    /// anyway (with the record's view folded from the journal).
    public var readModelWait: Duration = .seconds(2)

    /// A configuration for bus `eventBusName` in `region`, at EventBridge's regional endpoint
    /// unless `endpoint` says otherwise.
    public init(eventBusName: String, source: String = "tributary", region: String, endpoint: AWSEndpoint? = nil, credentials: AWSCredentials) {
        self.eventBusName = eventBusName
        self.source = source
        self.region = region
        self.endpoint = endpoint ?? .eventBridge(region: region)
        self.credentials = credentials
    }
}
