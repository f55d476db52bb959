@testable import CRM
import EventSourcing
import JSON
import Testing

/// Builds commands and folds events without actors or journals.
struct Given {
    let aggregate = SalesforceRecord(type: .clients)
    var state = RecordState()
    var position: UInt64 = 0

    static func facts(_ changeType: String, at commitTimestamp: Int64?, source: ChangeSource = .cdc, sequence: Int64 = 1) -> ChangeFacts {
        ChangeFacts(
            source: source, entity: "Account", changeType: changeType, transactionKey: "tx", sequenceNumber: sequence,
            commitTimestamp: commitTimestamp
        )
    }

    /// Decides `command` against the current state and folds the resulting events in.
    @discardableResult
    mutating func when(_ command: RecordCommand) throws(RecordRejection) -> [RecordEvent] {
        let events = try aggregate.decide(command, state: state)
        for event in events {
            position += 1
            aggregate.evolve(
                &state,
                with: event,
                at: EventPosition(position: position, version: position, recordedAt: Timestamp(millisecondsSinceEpoch: 1_000 * Int64(position)))
            )
        }
        return events
    }

    mutating func change(
        _ operation: RecordOperation,
        at time: Int64?,
        fields: JSONObject = [:],
        changed: [String] = [],
        nulled: [String] = [],
        source: ChangeSource = .cdc
    ) {
        _ = try? when(
            RecordCommand(
                operation: operation,
                body: ChangeBody(fields: fields, changedFields: changed, nulledFields: nulled),
                // Each change in a scenario is a distinct Salesforce change.
                facts: Given.facts(operation.rawValue.uppercased(), at: time, source: source, sequence: Int64(position) + 1)
            )
        )
    }
}

@Suite("SalesforceRecord aggregate")
struct RecordAggregateTests {
    // MARK: - decide

    @Test func eachOperationDecidesItsEventKind() throws {
        var given = Given()
        let kinds: [(RecordOperation, RecordEventKind)] = [
            (.create, .created), (.update, .updated), (.delete, .deleted), (.undelete, .undeleted),
        ]
        for (operation, kind) in kinds {
            let events = try given.when(
                RecordCommand(operation: operation, body: ChangeBody(fields: [:]), facts: Given.facts(operation.rawValue.uppercased(), at: 1))
            )
            #expect(events.map(\.kind) == [kind])
        }
    }

    @Test func serviceDeleteOfUnknownRecordIsRejectedButCDCDeleteIsAFact() throws {
        let given = Given()
        let apiDelete = RecordCommand(operation: .delete, body: ChangeBody(fields: [:]), facts: Given.facts("DELETE", at: nil, source: .api))
        #expect(throws: RecordRejection.recordNotFound) { try given.aggregate.decide(apiDelete, state: given.state) }
        let cdcDelete = RecordCommand(operation: .delete, body: ChangeBody(fields: [:]), facts: Given.facts("DELETE", at: 5))
        #expect(try given.aggregate.decide(cdcDelete, state: given.state).map(\.kind) == [.deleted])
    }

    // MARK: - evolve: bodies

    @Test func createKeepsCompoundComponentsSeparately() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "BillingAddress": ["City": "Paris", "Street": "1 Rue"]])
        #expect(given.state.value(at: "Name") == "Acme")
        #expect(given.state.value(at: "BillingAddress.City") == "Paris")
        #expect(given.state.value(at: "BillingAddress.Street") == "1 Rue")
        #expect(given.state.exists)
        #expect(!given.state.deleted)
    }

    @Test func namedUpdateChangesOnlyListedFieldsAndComponents() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "Phone": "1", "BillingAddress": ["City": "Paris", "Street": "1 Rue"]])
        given.change(
            .update,
            at: 20,
            fields: ["Phone": "2", "Name": "Enriched", "BillingAddress": ["Street": "2 Rue"]],
            changed: ["Phone", "BillingAddress.Street"]
        )
        #expect(given.state.value(at: "Phone") == "2")
        #expect(given.state.value(at: "Name") == "Acme", "an enriched field never overwrites")
        #expect(given.state.value(at: "BillingAddress.Street") == "2 Rue")
        #expect(given.state.value(at: "BillingAddress.City") == "Paris")
    }

    @Test func updateWithoutFieldListsTreatsExplicitNullAsCleared() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "Phone": "1"])
        given.change(.update, at: 20, fields: ["Phone": .null])
        #expect(given.state.value(at: "Phone") == .null)
        #expect(given.state.value(at: "Name") == "Acme")
    }

    @Test func undecodedBitmapUpdateAppliesOnlyNonNullFields() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "Phone": "1"])
        given.change(.update, at: 20, fields: ["Name": .null, "Phone": "2"], changed: ["0x400000"])
        #expect(given.state.value(at: "Name") == "Acme")
        #expect(given.state.value(at: "Phone") == "2")
    }

    @Test func nulledFieldsByNameClearEvenWhenAbsentFromTheBody() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "Phone": "1"])
        given.change(.update, at: 20, fields: [:], changed: ["LastModifiedDate"], nulled: ["Phone"])
        #expect(given.state.value(at: "Phone") == .null)
    }

    @Test func compoundSetToNullClearsItsComponents() {
        var given = Given()
        given.change(.create, at: 10, fields: ["ShippingAddress": ["City": "Lyon"]])
        given.change(.update, at: 20, fields: ["ShippingAddress": .null])
        #expect(given.state.value(at: "ShippingAddress.City") == .null)
    }

    @Test func largeTextDiffIsNeverStoredAsTheValue() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Description": "old"])
        given.change(.update, at: 20, fields: ["Description": ["diff": "--- \n+++ abc\n@@ -1 +1 @@\n-old\n+new"]])
        #expect(given.state.value(at: "Description") == "old")
        #expect(given.state.value(at: "Description.diff") == nil)
    }

    // MARK: - evolve: convergence

    @Test func olderChangeNeverOverwritesANewerValue() {
        var given = Given()
        given.change(.update, at: 30, fields: ["Name": "New"])
        given.change(.create, at: 10, fields: ["Name": "Old", "Phone": "1"])
        #expect(given.state.value(at: "Name") == "New")
        #expect(given.state.value(at: "Phone") == "1")
    }

    @Test func sameCommitTimeFallsBackToJournalOrder() {
        var given = Given()
        given.change(.update, at: 30, fields: ["Name": "First"])
        given.change(.update, at: 30, fields: ["Name": "Second"])
        #expect(given.state.value(at: "Name") == "Second")
    }

    @Test func deleteAndUndeleteFollowCommitTimeToo() {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme"])
        given.change(.undelete, at: 30)
        given.change(.delete, at: 20)
        #expect(!given.state.deleted, "a delete older than the undelete loses")
        given.change(.delete, at: 40)
        #expect(given.state.deleted)
    }

    // MARK: - Re-delivery

    @Test func aReDeliveredChangeDecidesNoEvents() throws {
        var given = Given()
        let change = RecordCommand(operation: .update, body: ChangeBody(fields: ["Phone": "1"]), facts: Given.facts("UPDATE", at: 10, sequence: 7))
        #expect(try given.when(change).count == 1)
        #expect(try given.when(change).isEmpty, "the same transaction, sequence number and change type is a duplicate")
        var next = change
        next.facts.sequenceNumber = 8
        #expect(try given.when(next).count == 1)
        var api = change
        api.facts = ChangeFacts(source: .api, entity: "Account")
        #expect(try given.when(api).count == 1, "commands carry no change key and are never duplicates")
    }

    // MARK: - Every record type

    @Test(arguments: RecordType.allCases)
    func everyRecordTypeDecidesAndFoldsItsOwnEvents(type: RecordType) throws {
        let aggregate = SalesforceRecord(type: type)
        var state = aggregate.initialState
        let facts = ChangeFacts(source: .api, entity: type.defaultObjectName)
        let upsert = RecordCommand(operation: .upsert, body: ChangeBody(fields: ["Name": "First"]), facts: facts)
        let created = try aggregate.decide(upsert, state: state)
        #expect(created.map(\.kind) == [.created])
        #expect(aggregate.encode(created[0]).type == type.eventPrefix + "Created")
        aggregate.evolve(&state, with: created[0], at: EventPosition(position: 1, version: 1, recordedAt: Timestamp(millisecondsSinceEpoch: 1)))
        let second = RecordCommand(operation: .upsert, body: ChangeBody(fields: ["Name": "Second"]), facts: facts)
        let updated = try aggregate.decide(second, state: state)
        #expect(updated.map(\.kind) == [.updated])
        aggregate.evolve(&state, with: updated[0], at: EventPosition(position: 2, version: 2, recordedAt: Timestamp(millisecondsSinceEpoch: 2)))
        #expect(state.value(at: "Name") == "Second")
        let delete = RecordCommand(operation: .delete, body: ChangeBody(fields: [:]), facts: facts)
        let deleted = try aggregate.decide(delete, state: state)
        aggregate.evolve(&state, with: deleted[0], at: EventPosition(position: 3, version: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 3)))
        #expect(state.deleted)
    }

    // MARK: - Stored form

    @Test func eventsRoundTripThroughTheirStoredForm() throws {
        let aggregate = SalesforceRecord(type: .deals)
        let event = RecordEvent(
            kind: .updated,
            body: ChangeBody(fields: ["Amount": 12.50, "StageName": "Won"], changedFields: ["Amount"], nulledFields: ["X"]),
            facts: ChangeFacts(
                source: .cdc, entity: "Opportunity", changeType: "UPDATE", transactionKey: "t", sequenceNumber: 2,
                commitTimestamp: 1_714_156_703_000, commitNumber: 1_100_671_026_205, commitUser: "005", changeOrigin: "o",
                replayId: "1398411", schemaId: "s", eventBridgeID: "e"
            )
        )
        let stored = aggregate.encode(event)
        #expect(stored.type == "DealUpdated")
        #expect(stored.metadata["source"] == "cdc")
        let recorded = RecordedEvent(
            position: 1, stream: StreamName(category: "deals", id: "006"), version: 1, type: stored.type,
            recordedAt: .now(), metadata: stored.metadata, data: stored.data
        )
        #expect(try aggregate.decode(recorded) == event)
    }

    @Test func storedNameOfAnotherTypeIsRefused() {
        let recorded = RecordedEvent(
            position: 7, stream: StreamName(category: "deals", id: "006"), version: 1, type: "ClientCreated",
            recordedAt: .now(), metadata: ["source": "cdc", "entity": "Account"], data: ["fields": [:]]
        )
        #expect(throws: EventDecodingError.self) { try SalesforceRecord(type: .deals).decode(recorded) }
    }
}
