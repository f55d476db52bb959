import CRM
import JSON
import Salesforce

extension ChangeIngestor {
    /// The command a CDC change makes for each of its records.
    ///
    /// Pub/Sub bitmap field lists are decoded into field names here, before anything is
    /// journaled, so the recorded event names its changed fields and replaying it needs no
    /// schema. The schema is the one registered for the event's schema id or, failing that, the
    /// payload's own key order when the payload leads with its header (decoded Pub/Sub payloads
    /// carry every schema field, in schema order). Lists that cannot be decoded stay bitmaps: the
    /// record then takes only the non-null fields as changes, and a non-empty `nulledFields`
    /// marks it for a re-read, since which fields were cleared is unknown.
    func recordCommand(for change: ValidatedChange, requestID: String?) -> RecordCommand {
        let event = change.event
        let header = event.header
        let operation = RecordOperation(header.changeType)
        var body = ChangeBody(
            fields: event.fields,
            changedFields: header.changedFields,
            nulledFields: header.nulledFields,
            diffFields: header.diffFields
        )
        var rereadReason: String?
        if operation == .reportGap {
            rereadReason = header.changeType.rawValue
        } else if let undecodable = decodeBitmapFieldLists(of: event, into: &body), !header.nulledFields.isEmpty {
            rereadReason = "nulledFields \(header.nulledFields) could not be decoded: \(undecodable)"
        }
        let facts = ChangeFacts(
            source: .cdc,
            entity: header.entityName,
            changeType: header.changeType.rawValue,
            transactionKey: header.transactionKey,
            sequenceNumber: header.sequenceNumber,
            commitTimestamp: header.commitTimestamp,
            commitNumber: header.commitNumber,
            commitUser: header.commitUser,
            changeOrigin: header.changeOrigin.isEmpty ? nil : header.changeOrigin,
            replayId: event.replayId,
            schemaId: event.schemaId,
            eventBridgeID: event.eventBridgeID,
            requestID: requestID
        )
        return RecordCommand(operation: operation, body: body, facts: facts, rereadReason: rereadReason)
    }

    /// Replaces bitmap field lists in `body` by the field names they stand for. Returns why they
    /// could not be decoded (leaving `body` as it was), or `nil` when there was nothing to
    /// decode or decoding succeeded.
    private func decodeBitmapFieldLists(of event: ChangeEvent, into body: inout ChangeBody) -> String? {
        let lists = [body.changedFields, body.nulledFields, body.diffFields]
        guard lists.contains(where: { ChangedFieldList.encoding(of: $0) == .bitmaps }) else { return nil }
        let schema: EventSchema
        let learned: Bool
        if let id = event.schemaId, let registered = schemas.schema(id: id) {
            schema = registered
            learned = false
        } else if event.headerLeadsPayload {
            schema = EventSchema(schemaOrderedFields: event.fields)
            learned = true
        } else {
            let id = event.schemaId.map { "schema \($0) is not registered" } ?? "the event names no schema"
            return "\(id) and the payload is not in schema order"
        }
        do throws(ChangeEventError) {
            var decoded: [[String]] = []
            for list in lists {
                decoded.append(ChangedFieldList.encoding(of: list) == .bitmaps ? try schema.decode(list) : list)
            }
            if learned, let mismatch = Self.contradiction(changed: decoded[0], nulled: decoded[1], in: event.fields) {
                // A payload missing some schema fields shifts every later index: its own key order
                // would name the wrong fields, so the bitmaps stay undecoded.
                return "the payload's key order does not fit its bitmaps (\(mismatch))"
            }
            body.changedFields = decoded[0]
            body.nulledFields = decoded[1]
            body.diffFields = decoded[2]
            return nil
        } catch {
            return error.message
        }
    }
}

extension ChangeIngestor {
    /// Why names decoded with a payload's own key order cannot be right, or `nil`: a changed
    /// field must be in the payload with a value, a nulled one in the payload as `null`.
    static func contradiction(changed: [String], nulled: [String], in fields: JSONObject) -> String? {
        func value(_ name: String) -> JSONValue? {
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2 else { return fields[name] }
            return fields[String(parts[0])]?.objectValue?[String(parts[1])]
        }
        let nulledSet = Set(nulled)
        for name in changed where !nulledSet.contains(name) {
            guard let found = value(name), !found.isNull else { return "\(name) is changed but has no value" }
        }
        for name in nulled {
            guard let found = value(name), found.isNull else { return "\(name) is nulled but is not null" }
        }
        return nil
    }
}
