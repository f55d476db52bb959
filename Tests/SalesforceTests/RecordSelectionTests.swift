import Salesforce
import Testing

@Suite struct RecordSelectionTests {
    private func header(_ recordIds: [String], _ changeType: ChangeType = .update) -> ChangeEventHeader {
        ChangeEventHeader(
            entityName: "Account",
            recordIds: recordIds,
            changeType: changeType,
            transactionKey: "00006bf0-edfd-6e54-a3f9-e8cefdb2c2b7",
            sequenceNumber: 1,
            commitTimestamp: 1714156703000,
            commitUser: "0055f000005mc66AAA"
        )
    }

    // MARK: - Records

    @Test func eighteenCharacterIdsAreSelectedAsTheyAre() throws {
        #expect(try header(["0015f00002JUXA8AAP"]).recordSelection() == .records(["0015f00002JUXA8AAP"]))
    }

    @Test func fifteenCharacterIdsAreNormalised() throws {
        let selection = try header(["0015f00002JUXA8", "001T1000001nI4jiae"]).recordSelection()
        #expect(selection == .records(["0015f00002JUXA8AAP", "001T1000001nI4jIAE"]))
    }

    @Test func duplicatesAreRemovedKeepingFirstOccurrenceOrder() throws {
        let selection = try header([
            "0016g00000MLhLeAAL", "0015f00002JUXA8", "0016g00000MLhLe", "0015f00002JUXA8AAP", "001T1000001nI4jIAE",
        ]).recordSelection()
        #expect(selection == .records(["0016g00000MLhLeAAL", "0015f00002JUXA8AAP", "001T1000001nI4jIAE"]))
    }

    // MARK: - Whole entity

    @Test(arguments: ["001*", "a0B*"])
    func wildcardSelectsTheEntity(wildcard: String) throws {
        #expect(try header([wildcard]).recordSelection() == .entity)
        #expect(try header(["0015f00002JUXA8AAP", wildcard]).recordSelection() == .entity)
    }

    @Test(arguments: ["000000000000000AAA", "000000000000000"])
    func emptyOverflowIdSelectsTheEntity(id: String) throws {
        #expect(try header([id]).recordSelection() == .entity)
    }

    @Test(arguments: [["000000000000000AAA"], ["0015f00002JUXA8AAP"], [], ["not an id"]])
    func gapOverflowAlwaysSelectsTheEntity(recordIds: [String]) throws {
        #expect(try header(recordIds, .gapOverflow).recordSelection() == .entity)
    }

    // MARK: - Errors

    @Test func emptyRecordIdsIsAnError() {
        let error = #expect(throws: ChangeEventError.self) { try header([]).recordSelection() }
        #expect(error?.field == "ChangeEventHeader.recordIds")
    }

    @Test(arguments: [
        "0015f00002JUXA8AAQ", "0015f00002JUXA", "0015f00002JUX-8", "*", "001**", "00-*", "",
    ])
    func invalidIdIsAnErrorNamingIt(bad: String) {
        let error = #expect(throws: ChangeEventError.self) {
            try header(["0015f00002JUXA8AAP", bad]).recordSelection()
        }
        #expect(error?.field == "ChangeEventHeader.recordIds[1]")
        #expect(error?.message.contains("\"\(bad)\"") == true)
    }

    @Test func invalidIdBesideAWildcardIsStillAnError() {
        #expect(throws: ChangeEventError.self) { try header(["001*", "bad"]).recordSelection() }
    }
}
