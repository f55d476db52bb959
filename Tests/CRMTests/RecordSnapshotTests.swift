@testable import CRM
import EventSourcing
import JSON
import Testing

/// A record's state survives its snapshot encoding whole, de-duplication keys and marks included,
/// so a record recovered from a snapshot decides exactly as one folded from its stream.
@Suite("Record snapshots")
struct RecordSnapshotTests {
    @Test func aStateSurvivesItsSnapshotWithChangeKeysMarksAndCompoundFields() throws {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme", "BillingAddress": ["City": "Paris", "Street": nil], "AnnualRevenue": 12.50])
        given.change(.update, at: 20, fields: ["Name": "Acme SA"], changed: ["Name"], nulled: ["Phone"])
        given.change(.delete, at: 30)
        given.change(.update, at: 25, fields: ["Website": "acme.example"])
        _ = try given.when(RecordCommand(operation: .reportGap, body: ChangeBody(fields: [:]), facts: Given.facts("GAP_UPDATE", at: 40, sequence: 9), rereadReason: "GAP_UPDATE"))
        let state = given.state
        #expect(state.recordedChanges.count == 5)
        #expect(state.reread != nil)
        #expect(state.deleted)

        let bytes = given.aggregate.encodeSnapshot(state)
        let decoded = try given.aggregate.decodeSnapshot(bytes)
        #expect(decoded == state)

        // A re-delivered change is still recognised after the round trip.
        let redelivered = RecordCommand(
            operation: .update, body: ChangeBody(fields: ["Name": "Acme SA"], changedFields: ["Name"]),
            facts: Given.facts("UPDATE", at: 20, sequence: 2)
        )
        #expect(try given.aggregate.decide(redelivered, state: decoded).isEmpty)
        #expect(try given.aggregate.decide(redelivered, state: state).isEmpty)
    }

    @Test func truncatedOrTrailingBytesAreRefused() throws {
        var given = Given()
        given.change(.create, at: 10, fields: ["Name": "Acme"])
        let bytes = given.aggregate.encodeSnapshot(given.state)
        for cut in [1, bytes.count / 2, bytes.count - 1] {
            #expect(throws: (any Error).self) { try given.aggregate.decodeSnapshot(Array(bytes.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try given.aggregate.decodeSnapshot(bytes + [0]) }
    }
}
