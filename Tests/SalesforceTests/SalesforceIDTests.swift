import Salesforce
import Testing

@Suite struct SalesforceIDTests {
    // MARK: - Accepted ids

    @Test(arguments: [
        "0015f00002JUXA8AAP", "001T1000001nI4jIAE", "0016g00000MLhLeAAL", "001ZM000001n4n5YAA",
        "0055f000005mc66AAA", "005T1000000HjlbIAC", "003ak000003dQCGAA2",
    ])
    func sampleEighteenCharacterIdsNormaliseToThemselves(id: String) {
        #expect(SalesforceID.normalize(id) == id)
    }

    @Test(arguments: [
        ("0015f00002JUXA8", "0015f00002JUXA8AAP"),
        ("001T1000001nI4j", "001T1000001nI4jIAE"),
        ("0016g00000MLhLe", "0016g00000MLhLeAAL"),
        ("001ZM000001n4n5", "001ZM000001n4n5YAA"),
        ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
        ("ZZZZZZZZZZZZZZZ", "ZZZZZZZZZZZZZZZ555"),
        ("Abcde00000abcdE", "Abcde00000abcdEBAQ"),
    ])
    func fifteenCharacterIdGainsItsChecksumSuffix(short: String, long: String) {
        #expect(SalesforceID.normalize(short) == long)
    }

    @Test func lowerCaseSuffixIsAcceptedAndReturnedUpperCase() {
        #expect(SalesforceID.normalize("0015f00002JUXA8aap") == "0015f00002JUXA8AAP")
        #expect(SalesforceID.normalize("001T1000001nI4jiAe") == "001T1000001nI4jIAE")
    }

    @Test func emptyOverflowIdIsItsOwnNormalForm() {
        #expect(SalesforceID.emptyID == "000000000000000AAA")
        #expect(SalesforceID.normalize("000000000000000") == SalesforceID.emptyID)
        #expect(SalesforceID.normalize(SalesforceID.emptyID) == SalesforceID.emptyID)
    }

    // MARK: - Rejected ids

    @Test(arguments: ["", "001", "0015f00002JUXA", "0015f00002JUXA8A", "0015f00002JUXA8AA", "0015f00002JUXA8AAPX"])
    func idOfWrongLengthIsRejected(id: String) {
        #expect(SalesforceID.normalize(id) == nil)
    }

    @Test(arguments: [
        "0015f00002JUXA8AAQ",  // last suffix character wrong
        "0015F00002JUXA8AAP",  // case of the base changed, so the suffix no longer matches
        "0015f00002jUXA8AAP",
        "0015f00002JUXA86AP",  // a suffix character outside the checksum alphabet
    ])
    func idWithBadChecksumIsRejected(id: String) {
        #expect(SalesforceID.normalize(id) == nil)
    }

    @Test(arguments: [
        "0015f00002JUX-8", "0015f00002JUX 8", "0015f00002JUX*8", "0015f00002JUX_8AAP", "001*",
        // Fifteen UTF-8 bytes each, so only the characters are wrong, not the length.
        "0015f00002JUXé", "00１5f00002JUX",
    ])
    func idWithNonAlphanumericCharactersIsRejected(id: String) {
        #expect(SalesforceID.normalize(id) == nil)
    }

    // MARK: - Key prefix

    @Test func keyPrefixIsTheFirstThreeCharacters() {
        #expect(SalesforceID.keyPrefix("0015f00002JUXA8AAP") == "001")
        #expect(SalesforceID.keyPrefix("003ak000003dQCGAA2") == "003")
        #expect(SalesforceID.keyPrefix("00") == "00")
    }
}
