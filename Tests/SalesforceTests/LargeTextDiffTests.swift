import Salesforce
import Testing

@Suite struct LargeTextDiffTests {
    // MARK: - Vectors (generated with Python's difflib.unified_diff and hashlib.sha256)

    /// An account description of ~1,400 characters, one line per paragraph, no final newline.
    private static let accountBase = [
        "Acme Corporation is a global supplier of industrial equipment, founded in 1948 in Phoenix, Arizona.",
        "Business applications are moving to the cloud. It is not just a fad; the shift has gained momentum.",
        "The account is managed by the West region team and reviewed every quarter by the sales director.",
        "Primary contacts: Jane Roe (procurement), John Doe (engineering) and Ana Díaz (finance).",
        "",
        "Renewal history: the master agreement was renewed in 2019, 2021 and 2023 without price changes.",
        "Open opportunities include a fleet upgrade, a maintenance contract and a training programme.",
        "Support cases are routed to tier two because of the custom integration with their ERP system.",
        "The customer prefers invoices in PDF, sent to the accounts payable mailbox on the first weekday.",
        "Shipping is to three warehouses: Phoenix, Reno and El Paso; each has its own receiving hours.",
        "Credit terms are net 45; the credit limit was raised last year after a review by the finance team.",
        "",
        "Risks: a competitor is offering aggressive discounts, and their CFO has asked for a new proposal.",
        "Next steps: schedule an executive briefing, prepare a revised quote and confirm the delivery plan.",
        "Notes from the last visit: the plant manager asked about remote monitoring and predictive repairs.",
        "Last reviewed by the account team on 12 March; next review planned for the start of the quarter.",
    ]

    /// The description after three edits: line 2 reworded, a line changed and one added after it,
    /// and the last line (which has no newline) changed.
    private static let accountNew: [String] = {
        var lines = accountBase
        lines[1] = "Business apps are moving to the cloud. It is not just a fad; the shift has gained momentum."
        lines[7] = "Support cases are routed to tier two because of the custom integration with their ERP system (SAP)."
        lines.insert("Escalations go to the named support manager, who reports to the account executive weekly.", at: 8)
        lines[16] = "Last reviewed by the account team on 2 June; next review planned for the start of the quarter. ✅"
        return lines
    }()

    private static let accountDigest = "8cd6086a4353546626c5a5202710fc27afd5cd28675adebc84252aec9eb352cb"
    private static let accountCRLFDigest = "83e1591663914180965bb53a6cef29fa4291560caeb7f53620479c1aa4259ed0"

    /// `difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=1)`, headers dropped.
    private static let accountHunks = [
        "@@ -1,3 +1,3 @@",
        " Acme Corporation is a global supplier of industrial equipment, founded in 1948 in Phoenix, Arizona.",
        "-Business applications are moving to the cloud. It is not just a fad; the shift has gained momentum.",
        "+Business apps are moving to the cloud. It is not just a fad; the shift has gained momentum.",
        " The account is managed by the West region team and reviewed every quarter by the sales director.",
        "@@ -7,3 +7,4 @@",
        " Open opportunities include a fleet upgrade, a maintenance contract and a training programme.",
        "-Support cases are routed to tier two because of the custom integration with their ERP system.",
        "+Support cases are routed to tier two because of the custom integration with their ERP system (SAP).",
        "+Escalations go to the named support manager, who reports to the account executive weekly.",
        " The customer prefers invoices in PDF, sent to the accounts payable mailbox on the first weekday.",
        "@@ -15,2 +16,2 @@",
        " Notes from the last visit: the plant manager asked about remote monitoring and predictive repairs.",
        "-Last reviewed by the account team on 12 March; next review planned for the start of the quarter.",
        "+Last reviewed by the account team on 2 June; next review planned for the start of the quarter. ✅",
    ]

    /// The same edits with no context lines (`n=0`), as in Salesforce's documented example.
    private static let accountZeroContextHunks = [
        "@@ -2 +2 @@",
        "-Business applications are moving to the cloud. It is not just a fad; the shift has gained momentum.",
        "+Business apps are moving to the cloud. It is not just a fad; the shift has gained momentum.",
        "@@ -8 +8,2 @@",
        "-Support cases are routed to tier two because of the custom integration with their ERP system.",
        "+Support cases are routed to tier two because of the custom integration with their ERP system (SAP).",
        "+Escalations go to the named support manager, who reports to the account executive weekly.",
        "@@ -16 +17 @@",
        "-Last reviewed by the account team on 12 March; next review planned for the start of the quarter.",
        "+Last reviewed by the account team on 2 June; next review planned for the start of the quarter. ✅",
    ]

    /// A diff as Salesforce sends it: `--- `, `+++ <sha256>`, then the hunks.
    private func diffText(_ digest: String, _ hunks: [String]) -> String {
        (["--- ", "+++ \(digest)"] + hunks).joined(separator: "\n")
    }

    private func diff(_ digest: String, _ hunks: [String]) throws -> LargeTextDiff {
        try LargeTextDiff(parsing: diffText(digest, hunks))
    }

    private func isMalformed(_ text: String) -> Bool {
        do {
            _ = try LargeTextDiff(parsing: text)
            return false
        } catch {
            if case .malformed = error { return true }
            return false
        }
    }

    // MARK: - Applying

    @Test func multiHunkPatchRebuildsTheNewDescription() throws {
        let patch = try diff(Self.accountDigest, Self.accountHunks)
        let base = Self.accountBase.joined(separator: "\n")
        #expect(base.count > 1_300)
        #expect(try patch.apply(to: base) == Self.accountNew.joined(separator: "\n"))
        #expect(patch.expectedDigest.count == 32)
        #expect(patch.expectedDigest.first == 0x8C && patch.expectedDigest.last == 0xCB)
    }

    @Test func zeroContextHunksWithAnUppercaseDigestApply() throws {
        let patch = try diff(Self.accountDigest.uppercased(), Self.accountZeroContextHunks)
        #expect(try patch.apply(to: Self.accountBase.joined(separator: "\n")) == Self.accountNew.joined(separator: "\n"))
    }

    @Test func diffTextEndingInANewlineParsesTheSame() throws {
        let patch = try LargeTextDiff(parsing: diffText(Self.accountDigest, Self.accountHunks) + "\n")
        #expect(try patch == diff(Self.accountDigest, Self.accountHunks))
    }

    @Test func crlfTextRoundTripsWhetherTheDiffKeepsTheCarriageReturnsOrNot() throws {
        let base = Self.accountBase.joined(separator: "\r\n")
        let expected = Self.accountNew.joined(separator: "\r\n")
        // Lines split on "\n" keep their "\r" (every line but the last, which has no line break).
        let keepingCR = Self.accountHunks.map { $0.hasPrefix("@@") || $0.contains("Last reviewed") ? $0 : $0 + "\r" }
        #expect(try diff(Self.accountCRLFDigest, keepingCR).apply(to: base) == expected)
        // Salesforce splits on the value's own line breaks, so its lines may come without "\r".
        #expect(try diff(Self.accountCRLFDigest, Self.accountHunks).apply(to: base) == expected)
    }

    @Test func emptyBaseTakesAPureAddition() throws {
        let hunks = ["@@ -0,0 +1,3 @@", "+First line", "+Second line", "+Third line"]
        let digest = "10b2a7e216db033c173f50538bf6e2970ea2d8db8d2114be2a32145b1ead545c"
        let expected = "First line\nSecond line\nThird line"
        #expect(try diff(digest, hunks).apply(to: "") == expected)
        let marked = hunks + ["\\ No newline at end of file"]
        #expect(try diff(digest, marked).apply(to: "") == expected)
    }

    @Test func appendingAfterAFinalNewlineKeepsIt() throws {
        let base = "Opening notes\nSecond paragraph\nClosing remarks\n"
        let hunks = ["@@ -3 +3,2 @@", " Closing remarks", "+Appendix: pricing"]
        let patch = try diff("9b46da9acc73519a1bc7637fbd6b297bb75e2023b4ec9ddf96d9b19bc1afd581", hunks)
        #expect(try patch.apply(to: base) == base + "Appendix: pricing\n")
    }

    @Test func noNewlineMarkerOnTheOldSideGivesTheNewValueAFinalNewline() throws {
        let hunks = ["@@ -1,2 +1,3 @@", " alpha", "-beta", "\\ No newline at end of file", "+beta", "+gamma"]
        let patch = try diff("4fdbc441ea7b546100e086ac1e4fc5ae6749b7314311c99db05be450eca12996", hunks)
        #expect(try patch.apply(to: "alpha\nbeta") == "alpha\nbeta\ngamma\n")
    }

    @Test func deletingEveryLineGivesTheEmptyValue() throws {
        let patch = try diff(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ["@@ -1,2 +0,0 @@", "-one", "-two"])
        #expect(try patch.apply(to: "one\ntwo") == "")
    }

    @Test func unicodeIsComparedAndHashedAsUTF8() throws {
        let family = "\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467} family plan"
        let base = "Café \u{2615}\u{FE0F} au lait\nnaïve résumé\n日本語のテキスト\n" + family
        let hunks = ["@@ -2,2 +2,2 @@", " naïve résumé", "-日本語のテキスト", "+日本語のテキスト、更新済み"]
        let patch = try diff("cdbb7a06dbd40107d102a22b69e01799a5244085fa3c05efed44ae5a262060b0", hunks)
        let expected = "Café \u{2615}\u{FE0F} au lait\nnaïve résumé\n日本語のテキスト、更新済み\n" + family
        #expect(try patch.apply(to: base) == expected)
        // "é" spelled as "e" + combining accent is equal as a String, but not the stored bytes.
        let decomposed = ["@@ -2,2 +2,2 @@", " nai\u{308}ve re\u{301}sume\u{301}"] + hunks.dropFirst(2)
        #expect(throws: LargeTextDiffError.contextMismatch(line: 2)) {
            try diff("cdbb7a06dbd40107d102a22b69e01799a5244085fa3c05efed44ae5a262060b0", decomposed).apply(to: base)
        }
    }

    // MARK: - Refusing

    @Test func wrongDigestIsADigestMismatch() throws {
        let wrong = String(Self.accountDigest.reversed())
        let patch = try diff(wrong, Self.accountHunks)
        #expect(throws: LargeTextDiffError.digestMismatch) {
            try patch.apply(to: Self.accountBase.joined(separator: "\n"))
        }
    }

    @Test func baseThatDiffersFromTheContextIsAContextMismatch() throws {
        var stale = Self.accountBase
        stale[7] = "Support cases are routed to tier one."
        let patch = try diff(Self.accountDigest, Self.accountHunks)
        #expect(throws: LargeTextDiffError.contextMismatch(line: 8)) {
            try patch.apply(to: stale.joined(separator: "\n"))
        }
        // A base too short for the hunks, and no base at all.
        #expect(throws: LargeTextDiffError.contextMismatch(line: 15)) {
            try patch.apply(to: Self.accountBase.prefix(14).joined(separator: "\n"))
        }
        #expect(throws: LargeTextDiffError.contextMismatch(line: 1)) { try patch.apply(to: "") }
    }

    @Test(arguments: [
        "",
        "Hello",
        "--- \n",
        "--- \n+++ ",
        "--- \n+++ not-a-hash",
        "--- \n+++ 8cd6086a4353546626c5a5202710fc27afd5cd28675adebc84252aec9eb352c",  // 63 digits
        "--- \n+++ 8cd6086a4353546626c5a5202710fc27afd5cd28675adebc84252aec9eb352cbz",
        "+++ 8cd6086a4353546626c5a5202710fc27afd5cd28675adebc84252aec9eb352cb\n--- ",
    ])
    func textWithoutTheHeadersIsMalformed(text: String) {
        #expect(isMalformed(text))
    }

    @Test(arguments: [
        ["@@ garbage @@"],
        ["@@ -1,2 +1,2"],
        ["@@ -1,x +1,2 @@"],
        ["@@ -0,1 +0,1 @@", "-a", "+b"],  // line 0 with lines in it
        ["@@ -99999999999999999999 +1 @@", "+a"],
        ["@@ -1,-1 +1 @@", "+a"],
        ["@@ -1,2 +1,2 @@", " a", "-b"],  // truncated: one line short on each side
        ["@@ -1,2 +1,2 @@", " a"],
        ["@@ -1 +1 @@", "-a", "+b", "+c"],  // more lines than counted
        ["@@ -1 +1 @@", "xa", "+b"],
        ["\\ No newline at end of file"],
        ["@@ -1 +1 @@", "\\ No newline at end of file", "-a", "+b"],
        ["@@ -3 +3 @@", "-c", "+C", "@@ -1 +1 @@", "-a", "+A"],  // out of order
        ["@@ -1,2 +1,2 @@", "-a", "-b", "+A", "+B", "@@ -2 +2 @@", "-b", "+B"],  // overlapping
        ["@@ -1 +1 @@", "-a", "+b", "trailing garbage"],
    ])
    func badHunksAreMalformed(hunks: [String]) {
        #expect(isMalformed(diffText(Self.accountDigest, hunks)))
    }

    @Test func truncatedAndScrambledDiffsNeverCrash() throws {
        let full = diffText(Self.accountDigest, Self.accountHunks)
        let base = Self.accountBase.joined(separator: "\n")
        var generator = SplitMix(seed: 0x5EED)
        let alphabet = Array("@@ -+,0123456789\n\\ \rab✅")
        var inputs = (0...full.count).map { String(full.prefix($0)) }
        for _ in 0..<3_000 {
            let length = Int(generator.next() % 48)
            let noise = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            inputs.append(generator.next() % 2 == 0 ? noise : "--- \n+++ \(Self.accountDigest)\n@@ " + noise)
        }
        for input in inputs {
            do {
                let patch = try LargeTextDiff(parsing: input)
                for candidate in [base, "", "a\nb", "\n\n\n"] {
                    _ = try? patch.apply(to: candidate)
                }
            } catch {
                guard case .malformed = error else {
                    Issue.record("parsing threw \(error), not .malformed, for \(input.debugDescription)")
                    continue
                }
            }
        }
        // Losing the last line leaves the hunk short of its count: malformed. A cut inside that
        // line cannot be seen in the diff, but the patched value then fails the digest.
        #expect(isMalformed(diffText(Self.accountDigest, Array(Self.accountHunks.dropLast()))))
        let cut = try LargeTextDiff(parsing: String(full.prefix(full.count - 30)))
        #expect(throws: LargeTextDiffError.digestMismatch) { try cut.apply(to: base) }
    }

    // MARK: - Recognising

    @Test func looksLikeDiffSpotsTheTwoHeaderLines() {
        #expect(LargeTextDiff.looksLikeDiff(diffText(Self.accountDigest, Self.accountHunks)))
        #expect(LargeTextDiff.looksLikeDiff("--- \n+++ \(Self.accountDigest)"))
        #expect(!LargeTextDiff.looksLikeDiff("--- not a diff"))
        #expect(!LargeTextDiff.looksLikeDiff("--- \nnot a diff"))
        #expect(!LargeTextDiff.looksLikeDiff("Hello"))
        #expect(!LargeTextDiff.looksLikeDiff(""))
        #expect(!LargeTextDiff.looksLikeDiff(Self.accountBase.joined(separator: "\n")))
    }
}

/// A small deterministic generator, so the scrambled inputs are the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
