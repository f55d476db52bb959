import Crypto
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import NIOCore
import Testing

/// `POST /v1/cdc` from a relay that signs its bodies with a shared secret.
@Suite("Signed CDC bodies")
struct CDCSignatureTests {
    static let secret = "relay-shared-secret-0123456789"

    static func signature(_ body: [UInt8], at time: Int64, secret: String = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(time).".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(time),v1=" + mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    func post(_ client: some TestClientProtocol, _ body: [UInt8], signature: String?) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature { headers[HTTPField.Name("X-Tributary-Signature")!] = signature }
        return try await client.execute(uri: "/v1/cdc", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { $0.status }
    }

    @Test func onlyFreshCorrectlySignedBodiesAreTaken() async throws {
        let app = try await testApplication { $0.cdcSigningSecret = Array(Self.secret.utf8) }
        try await app.test(.router) { client in
            let body = changeEvent("CREATE", id: "001T1000001nI4jIAE", fields: ["Name": "Acme"]).jsonBytes()
            let now = Int64(Date().timeIntervalSince1970)
            #expect(try await post(client, body, signature: nil) == .unauthorized)
            #expect(try await post(client, body, signature: "t=\(now),v1=zz") == .unauthorized)
            #expect(try await post(client, body, signature: Self.signature(body, at: now, secret: "another-secret-0123456789")) == .unauthorized)
            #expect(try await post(client, body, signature: Self.signature(body, at: now - 3600)) == .unauthorized)
            let signed = Self.signature(body, at: now)
            #expect(try await post(client, Array(body.dropLast()) + Array(" }".utf8), signature: signed) == .unauthorized, "a changed body")
            #expect(try await post(client, body, signature: signed) == .ok)
            #expect(try await post(client, body, signature: signed) == .unauthorized, "a replayed signature")
            // Nothing refused was written: the one accepted change is the only event.
            let log = try await client.request("/v1/events")
            #expect(log.body["items"]?.arrayValue?.count == 1)
        }
    }
}
