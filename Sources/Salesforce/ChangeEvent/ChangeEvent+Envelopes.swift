import JSON

extension ChangeEvent {
    /// Decodes one change event from any envelope Tributary accepts.
    ///
    /// Recognised, in this order:
    /// - a bare payload: an object with a `ChangeEventHeader` member;
    /// - an EventBridge event (`detail` with `detail-type`, `source` or `version`): the change is
    ///   under `detail.payload` (Salesforce Event Relay, which may put `schemaId` and `replayId`
    ///   beside it) or directly under `detail` (AppFlow);
    /// - a CometD message `{"channel", "data": {"schema", "payload", "event": {"replayId"}}}`;
    /// - its inner `data` object `{"schema", "payload", "event"}`.
    ///
    /// Unknown sibling keys are ignored; known ones must have the right type. Throws when `value`
    /// is not an object, matches none of the shapes, lacks the header where one is required, or
    /// holds a payload or header that is not valid.
    public static func decode(_ value: JSONValue) throws(ChangeEventError) -> ChangeEvent {
        guard case .object(let root) = value else {
            throw ChangeEventError(
                field: nil,
                message: "expected a change event as a JSON object, found \(value.foundDescription)"
            )
        }
        if root[ChangeEventHeader.jsonKey] != nil {
            return try body(root, at: "", transport: .bare)
        }
        if root["detail"] != nil, root["detail-type"] != nil || root["source"] != nil || root["version"] != nil {
            return try eventBridge(root)
        }
        if root["data"] != nil {
            return try cometD(root)
        }
        if root["payload"] != nil {
            return try cometDData(root, at: "", transport: .cometDData)
        }
        throw ChangeEventError(
            field: nil,
            message: "expected a change event: a bare payload with ChangeEventHeader, an EventBridge event "
                + "(detail, detail-type, source), a CometD message (channel, data) or its data object "
                + "(schema, payload, event); found an object with keys \(describeKeys(root))"
        )
    }

    private static func eventBridge(_ root: JSONObject) throws(ChangeEventError) -> ChangeEvent {
        let eventBridgeID = try root.optionalString("id", in: "")
        let source = try root.optionalString("source", in: "")
        guard case .object(let detail)? = root["detail"] else {
            throw .wrongType("detail", in: "", expected: "an object", found: root["detail"] ?? .null)
        }
        var event: ChangeEvent
        if detail[ChangeEventHeader.jsonKey] != nil {
            event = try body(detail, at: "detail", transport: .eventBridgeAppFlow)
        } else if detail["payload"] != nil {
            event = try cometDData(detail, at: "detail", transport: .eventBridgeRelay)
        } else {
            throw ChangeEventError(
                field: "detail",
                message: "expected the change under detail.payload (Salesforce Event Relay) or a "
                    + "ChangeEventHeader directly under detail (AppFlow), found keys \(describeKeys(detail))"
            )
        }
        event.eventBridgeID = eventBridgeID
        event.eventBridgeSource = source
        return event
    }

    private static func cometD(_ root: JSONObject) throws(ChangeEventError) -> ChangeEvent {
        let channel = try root.optionalString("channel", in: "")
        guard case .object(let data)? = root["data"] else {
            throw .wrongType("data", in: "", expected: "an object", found: root["data"] ?? .null)
        }
        var event = try cometDData(data, at: "data", transport: .cometD)
        event.channel = channel
        return event
    }

    /// The `{"schema" | "schemaId", "payload", "event": {"replayId"} | "replayId"}` shape shared by
    /// CometD's `data` and Event Relay's `detail`.
    private static func cometDData(
        _ object: JSONObject,
        at path: String,
        transport: ChangeEventTransport
    ) throws(ChangeEventError) -> ChangeEvent {
        let payloadPath = ChangeEventError.joined(path, "payload")
        let payload: JSONObject
        switch object["payload"] {
        case .object(let value)?:
            payload = value
        case let other?:
            throw .wrongType("payload", in: path, expected: "an object holding the change", found: other)
        case nil:
            throw .missing("payload", in: path, expected: "an object holding the change")
        }
        var event = try body(payload, at: payloadPath, transport: transport)
        let schema = try object.optionalString("schema", in: path)
        let schemaId = try object.optionalString("schemaId", in: path)
        event.schemaId = schema ?? schemaId
        let eventPath = ChangeEventError.joined(path, "event")
        let nestedReplayId = try object.optionalObject("event", in: path)?.optionalOpaqueText("replayId", in: eventPath)
        let siblingReplayId = try object.optionalOpaqueText("replayId", in: path)
        event.replayId = nestedReplayId ?? siblingReplayId
        return event
    }

    /// A payload: the `ChangeEventHeader` member and every other member as a field.
    private static func body(
        _ payload: JSONObject,
        at path: String,
        transport: ChangeEventTransport
    ) throws(ChangeEventError) -> ChangeEvent {
        let headerKey = ChangeEventHeader.jsonKey
        let header: ChangeEventHeader
        switch payload[headerKey] {
        case .object(let headerObject)?:
            header = try ChangeEventHeader(json: headerObject)
        case let other?:
            throw .wrongType(headerKey, in: path, expected: "the change event header object", found: other)
        case nil:
            throw .missing(headerKey, in: path, expected: "the change event header object")
        }
        var fields = JSONObject()
        fields.reserveCapacity(payload.count - 1)
        for member in payload where member.key != headerKey {
            fields.appendUnique(key: member.key, value: member.value)
        }
        let headerLeads = payload.members.first?.key == headerKey
        return ChangeEvent(header: header, fields: fields, transport: transport, headerLeadsPayload: headerLeads)
    }

    private static func describeKeys(_ object: JSONObject) -> String {
        guard !object.isEmpty else { return "(none)" }
        let shown = object.keys.prefix(10).map { "\"\($0)\"" }.joined(separator: ", ")
        return object.count > 10 ? shown + ", …" : shown
    }
}
