@testable import CRM
import JSON
import Testing

@Suite("ChangeFacts")
struct ChangeFactsTests {
    static let everything = ChangeFacts(
        source: .cdc, entity: "Account", changeType: "UPDATE", transactionKey: "0004d6a0-8d5a-6e0d-2c5b-3d1a7f9e0b11",
        sequenceNumber: 3, commitTimestamp: 1_654_900_954_000, commitNumber: 11_000_000_000_123, commitUser: "0055f000005mc66AAA",
        changeOrigin: "com/salesforce/api/rest/62.0", replayId: "42", schemaId: "W1ayyXPqg5d0qk9GkQKqgA",
        eventBridgeID: "5c42b99e-e005-43b3-c744-07c1c6b2f8a0", idempotencyKey: "order-7", backfillJob: "job-1", requestID: "req-9"
    )

    @Test(arguments: [everything, ChangeFacts(source: .backfill, entity: "Opportunity"), ChangeFacts(source: .api, entity: "Contract", requestID: "r")])
    func factsComeBackFromTheirMetadata(facts: ChangeFacts) {
        #expect(ChangeFacts(metadata: facts.metadata) == facts)
    }

    /// What a read model folds with: source, entity and commit time, the same rules for what
    /// is required.
    @Test func foldingFactsKeepSourceEntityAndCommitTime() {
        let metadata = Self.everything.metadata
        #expect(ChangeFacts(foldingMetadata: metadata) == ChangeFacts(source: .cdc, entity: "Account", commitTimestamp: 1_654_900_954_000))
        var gapFill = metadata
        gapFill["source"] = "gap-fill"
        gapFill["commitTimestamp"] = nil
        #expect(ChangeFacts(foldingMetadata: gapFill) == ChangeFacts(source: .gapFill, entity: "Account"))
        for required in ["source", "entity"] {
            var missing = metadata
            missing[required] = nil
            #expect(ChangeFacts(foldingMetadata: missing) == nil)
        }
    }

    /// The folding scan stops once it has all three: it must find them wherever they are and
    /// still read a commit time of the wrong type as none.
    @Test func foldingFactsAreFoundInAnyOrderAndAWrongCommitTimeIsNone() {
        let reversed = JSONObject(Self.everything.metadata.members.reversed())
        #expect(ChangeFacts(foldingMetadata: reversed) == ChangeFacts(source: .cdc, entity: "Account", commitTimestamp: 1_654_900_954_000))
        var textTime = Self.everything.metadata
        textTime["commitTimestamp"] = "1654900954000"
        #expect(ChangeFacts(foldingMetadata: textTime) == ChangeFacts(source: .cdc, entity: "Account"))
    }

    /// The facts share one box between copies: a copy is equal and hashes alike, facts built
    /// apart are equal when they say the same, and setting a fact on a copy leaves the original.
    @Test func factsAreValues() {
        let original = Self.everything
        var copy = original
        #expect(copy == original && copy.hashValue == original.hashValue)
        let rebuilt = ChangeFacts(metadata: original.metadata)
        #expect(rebuilt == original && rebuilt?.hashValue == original.hashValue)
        copy.sequenceNumber = 9
        copy.requestID = nil
        #expect(copy != original)
        #expect(original.sequenceNumber == 3 && original.requestID == "req-9")
        #expect(copy.sequenceNumber == 9 && copy.requestID == nil && copy.transactionKey == original.transactionKey)
        copy.sequenceNumber = 3
        copy.requestID = "req-9"
        #expect(copy == original && copy.hashValue == original.hashValue)
    }

    @Test func unknownMembersAreIgnoredAndSourceAndEntityAreRequired() {
        var metadata = Self.everything.metadata
        metadata["addedLater"] = "something new"
        #expect(ChangeFacts(metadata: metadata) == Self.everything)
        var noSource = metadata
        noSource["source"] = nil
        #expect(ChangeFacts(metadata: noSource) == nil)
        var unknownSource = metadata
        unknownSource["source"] = "fax"
        #expect(ChangeFacts(metadata: unknownSource) == nil)
        var noEntity = metadata
        noEntity["entity"] = nil
        #expect(ChangeFacts(metadata: noEntity) == nil)
    }

    @Test func aFactOfTheWrongTypeIsLeftOutAndAWrongSourceOrEntityRefusesTheWhole() {
        var metadata = Self.everything.metadata
        metadata["sequenceNumber"] = "3"
        metadata["commitUser"] = 5
        var expected = Self.everything
        expected.sequenceNumber = nil
        expected.commitUser = nil
        #expect(ChangeFacts(metadata: metadata) == expected)
        var numericSource = metadata
        numericSource["source"] = 1
        #expect(ChangeFacts(metadata: numericSource) == nil)
        var listEntity = metadata
        listEntity["entity"] = ["Account"]
        #expect(ChangeFacts(metadata: listEntity) == nil)
    }
}

