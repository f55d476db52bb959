import Salesforce
import Testing

@Suite struct ChangeTypeTests {
    @Test func rawValuesAreTheSalesforceStrings() {
        #expect(ChangeType.allCases.map(\.rawValue) == [
            "CREATE", "UPDATE", "DELETE", "UNDELETE",
            "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW",
        ])
    }

    @Test func onlyGapKindsAreGaps() {
        #expect(ChangeType.allCases.filter(\.isGap) == [.gapCreate, .gapUpdate, .gapDelete, .gapUndelete, .gapOverflow])
    }

    @Test(arguments: ["SNAPSHOT", "create", "Update", ""])
    func unknownOrMiscasedStringIsNoChangeType(raw: String) {
        #expect(ChangeType(rawValue: raw) == nil)
    }
}
