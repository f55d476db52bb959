import AWS
import JSON

/// EventBridge's `PutEvents` over the JSON protocol, signed with SigV4.
public struct EventBridgeClient: EventBus {
    private let client: AWSJSONClient

    /// A client of EventBridge at `endpoint` (a region's public endpoint, or an emulator's URL).
    public init(endpoint: AWSEndpoint, region: String, credentials: AWSCredentials, timeout: Duration = .seconds(10)) {
        self.client = AWSJSONClient(
            endpoint: endpoint,
            signer: SigV4Signer(credentials: credentials, region: region, service: "events"),
            targetPrefix: "AWSEvents",
            jsonVersion: "1.1",
            timeout: timeout
        )
    }

    public func putEvents(_ entries: [PutEventsEntry]) async throws -> [PutEventsResult] {
        let body: JSONValue = ["Entries": .array(entries.map(Self.json))]
        let answer = try await client.call("PutEvents", body)
        guard let results = answer.objectValue?["Entries"]?.arrayValue, results.count == entries.count else {
            throw AWSError.malformedResponse("PutEvents answered without one result per entry")
        }
        return results.map { result in
            let object = result.objectValue
            return PutEventsResult(
                eventID: object?["EventId"]?.stringValue,
                errorCode: object?["ErrorCode"]?.stringValue,
                errorMessage: object?["ErrorMessage"]?.stringValue
            )
        }
    }

    static func json(_ entry: PutEventsEntry) -> JSONValue {
        var object: JSONObject = [
            "Source": .string(entry.source),
            "DetailType": .string(entry.detailType),
            "Detail": .string(String(decoding: entry.detail, as: UTF8.self)),
        ]
        if let bus = entry.eventBusName { object["EventBusName"] = .string(bus) }
        // The JSON protocol sends timestamps as epoch seconds.
        if let time = entry.time { object["Time"] = .number(JSONNumber(Double(time.millisecondsSinceEpoch) / 1000)) }
        return .object(object)
    }
}
