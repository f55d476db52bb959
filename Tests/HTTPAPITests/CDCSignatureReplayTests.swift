@testable import HTTPAPI
import JSON
import Testing

/// The replay memory behind signed CDC bodies.
@Suite("Signed CDC bodies: replays")
struct CDCSignatureReplayTests {
    let verifier = CDCSignatureVerifier(secret: Array(CDCSignatureTests.secret.utf8), window: .seconds(300))
    let body = changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "Acme"]).jsonBytes()

    @Test func aSignatureWhoseWriteFailedMayBeSentAgain() {
        let now: Int64 = 1_800_000_000
        let header = CDCSignatureTests.signature(body, at: now)
        #expect(verifier.refusal(header: header, body: body, now: now) == nil)
        #expect(verifier.refusal(header: header, body: body, now: now + 1)?.contains("already used") == true)
        // The journal refused the write: nothing was written, so the same request may come again.
        verifier.forget(header: header)
        #expect(verifier.refusal(header: header, body: body, now: now + 2) == nil)
        #expect(verifier.refusal(header: header, body: body, now: now + 3)?.contains("already used") == true)
    }

    @Test func expiredSignaturesAreForgottenAndStillRefusedByTheirTime() {
        let start: Int64 = 1_800_000_000
        // Many signatures, each seen once; none is refused as a replay.
        for offset in 0..<2_000 {
            let header = CDCSignatureTests.signature(body, at: start + Int64(offset))
            #expect(verifier.refusal(header: header, body: body, now: start + Int64(offset)) == nil)
        }
        // Long after, an old signature is refused for its time, not remembered as a replay.
        let old = CDCSignatureTests.signature(body, at: start)
        #expect(verifier.refusal(header: old, body: body, now: start + 5_000)?.contains("from now") == true)
        // A recent one is still remembered.
        let recent = CDCSignatureTests.signature(body, at: start + 1_999)
        #expect(verifier.refusal(header: recent, body: body, now: start + 2_000)?.contains("already used") == true)
    }
}
