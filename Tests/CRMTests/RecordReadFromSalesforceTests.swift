@testable import CRM
import EventSourcing
import JSON
import Testing

/// Records read from Salesforce (backfills, re-reads) against what the mirror already has.
@Suite("Records read from Salesforce")
struct RecordReadFromSalesforceTests {
    func read(_ source: ChangeSource, at time: Int64, fields: JSONObject, operation: RecordOperation = .upsert) -> RecordCommand {
        RecordCommand(operation: operation, body: ChangeBody(fields: fields), facts: ChangeFacts(source: source, entity: "Account", commitTimestamp: time))
    }

    @Test func aReadThatChangesNothingWritesNothing() throws {
        var given = Given()
        given.change(.create, at: 1_000, fields: ["Name": "Acme", "Phone": "1"])
        // The same values, read at the same time: a duplicate.
        #expect(try given.when(read(.backfill, at: 1_000, fields: ["Name": "Acme", "Phone": "1"])).isEmpty)
        // Older values than the mirror's: they would change nothing either.
        #expect(try given.when(read(.backfill, at: 500, fields: ["Name": "Older"])).isEmpty)
        // A newer value, or the same value from a newer commit, is written.
        #expect(try given.when(read(.backfill, at: 2_000, fields: ["Name": "Newer"])).count == 1)
        #expect(try given.when(read(.backfill, at: 3_000, fields: ["Phone": "1"])).count == 1)
        // Live changes are never dropped this way.
        #expect(try given.when(RecordCommand(operation: .update, body: ChangeBody(fields: ["Name": "Newer"]), facts: Given.facts("UPDATE", at: 2_000, sequence: 9))).count == 1)
        // A record in the recycle bin read again as deleted: nothing new.
        given.change(.delete, at: 4_000)
        #expect(try given.when(read(.backfill, at: 4_000, fields: [:], operation: .delete)).isEmpty)
    }

    @Test func aReReadClearsTheGapItAnswersButNotANewerOne() throws {
        var given = Given()
        given.change(.create, at: 1_000, fields: ["Name": "Acme"])
        _ = try given.when(RecordCommand(
            operation: .reportGap, body: ChangeBody(fields: [:]), facts: Given.facts("GAP_UPDATE", at: 5_000, sequence: 7), rereadReason: "GAP_UPDATE"
        ))
        // A re-read from before that gap (read, then the gap happened): the mark stays, the value waits.
        #expect(try given.when(read(.gapFill, at: 4_000, fields: ["Name": "Before the gap"])).isEmpty)
        #expect(given.state.reread?.isGap == true)
        #expect(given.state.value(at: "Name") == "Acme")
        // A re-read at or after the gap clears it, even when the values are unchanged.
        #expect(try given.when(read(.gapFill, at: 5_000, fields: ["Name": "Acme"])).count == 1)
        #expect(given.state.reread == nil)
    }

    @Test func aRecordSalesforceReturnsAsLiveIsUndeletedByTheRead() throws {
        var given = Given()
        given.change(.create, at: 1_000, fields: ["Name": "Acme"])
        given.change(.delete, at: 2_000)
        #expect(given.state.deleted)
        // Read before the delete (as live, then deleted): the record stays deleted.
        _ = try given.when(read(.backfill, at: 1_500, fields: ["Name": "Acme"]))
        #expect(given.state.deleted)
        // Read after an undelete Salesforce could not send: the record is live again.
        let events = try given.when(read(.gapFill, at: 3_000, fields: ["Name": "Acme"]))
        #expect(events.map(\.kind) == [.undeleted])
        #expect(!given.state.deleted)
    }
}
