import JSON
import Salesforce
import Testing

/// The envelope shapes `ChangeEvent.decode` accepts, to wrap one payload in each of them.
enum Envelope: CaseIterable, CustomTestStringConvertible {
    case bare
    case cometD
    case cometDData
    case eventBridgeRelay
    case eventBridgeAppFlow

    var testDescription: String { "\(self)" }

    /// The transport `decode` should report for this envelope.
    var transport: ChangeEventTransport {
        switch self {
        case .bare: .bare
        case .cometD: .cometD
        case .cometDData: .cometDData
        case .eventBridgeRelay: .eventBridgeRelay
        case .eventBridgeAppFlow: .eventBridgeAppFlow
        }
    }

    /// `payload` (a header plus fields) inside this envelope, with unknown sibling keys added at
    /// every level to show they are ignored.
    func wrap(_ payload: JSONObject) -> JSONValue {
        let payload = JSONValue.object(payload)
        switch self {
        case .bare:
            return payload
        case .cometD:
            return [
                "clientId": "1x2y3z",
                "channel": "/data/ChangeEvents",
                "data": ["schema": "Jx8Hz9ElkIUaBf-heF1ShA", "payload": payload, "event": ["replayId": 42, "extra": 1]],
            ]
        case .cometDData:
            return ["schema": "Jx8Hz9ElkIUaBf-heF1ShA", "payload": payload, "event": ["replayId": 42], "extra": true]
        case .eventBridgeRelay:
            return [
                "version": "0",
                "id": "6f2c6e9c-0d3e-4a83-a3f5-000000000001",
                "detail-type": "AccountChangeEvent",
                "source": "aws.partner/salesforce.com/00D000000000001/0YL000000000001",
                "account": "000000000000",
                "time": "2024-04-26T18:38:23Z",
                "region": "us-east-1",
                "resources": [],
                "detail": ["payload": payload, "schemaId": "Jx8Hz9ElkIUaBf-heF1ShA", "id": "ignored"],
            ]
        case .eventBridgeAppFlow:
            return [
                "version": "0",
                "id": "5c42b99e-e005-43b3-c744-07990c50d2cc",
                "detail-type": "AccountChangeEvent",
                "source": "aws.partner/appflow.test/salesforce.com/364228160620/CustomSF-Source-Final",
                "detail": payload,
            ]
        }
    }
}

extension SampleFile {
    /// The change itself — `ChangeEventHeader` plus fields — taken out of the sample's envelope.
    func payload() throws -> JSONObject {
        let object = try object()
        if object["ChangeEventHeader"] != nil { return object }
        if let payload = object["payload"]?.objectValue { return payload }
        return try #require(object["detail"]?.objectValue)
    }
}
