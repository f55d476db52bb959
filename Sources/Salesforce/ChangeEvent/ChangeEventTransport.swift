/// The envelope a change event arrived in, as recognised by ``ChangeEvent/decode(_:)``.
public enum ChangeEventTransport: String, Sendable {
    /// An EventBridge event from Salesforce Event Relay: the change is under `detail.payload`.
    case eventBridgeRelay
    /// An EventBridge event from Amazon AppFlow: the change is directly under `detail`.
    case eventBridgeAppFlow
    /// A CometD (Streaming API) message: `{"channel", "data": {"schema", "payload", "event"}}`.
    case cometD
    /// The inner `data` object of a CometD message: `{"schema", "payload", "event"}`.
    case cometDData
    /// A bare payload: `{"ChangeEventHeader": {...}, "<Field>": ...}`.
    case bare
}
