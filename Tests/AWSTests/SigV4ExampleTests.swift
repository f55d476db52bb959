import AWS
import Crypto
import Testing

/// SigV4 against the worked examples AWS publishes: its Signature Version 4 test suite
/// (`get-vanilla`, `post-vanilla`, `get-vanilla-query-order-key-case`, `get-utf8`), the IAM
/// `ListUsers` request of the "create a signed request" guide, and its signing-key examples.
@Suite struct SigV4ExampleTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 2015-08-30T12:36:00Z, the time of every example.
    static let exampleTime: Int64 = 1_440_938_160

    static func suiteSigner(service: String = "service") -> SigV4Signer {
        SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
    }

    static func signature(_ method: String, path: String = "/", query: [(name: String, value: String)] = []) -> SigV4Signer.Signature {
        suiteSigner().sign(
            SignableRequest(method: method, host: "example.amazonaws.com", path: path, query: query, headers: [("Host", "example.amazonaws.com")]),
            at: exampleTime
        )
    }

    @Test func getVanillaMatchesAWS() {
        let signed = Self.signature("GET")
        #expect(signed.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
        #expect(signed.headers.map(\.name) == ["X-Amz-Date", "Authorization"])
    }

    @Test func postVanillaMatchesAWS() {
        #expect(Self.signature("POST").signature == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func queryParametersAreSortedBeforeSigning() {
        let signed = Self.signature("GET", query: [("Param2", "value2"), ("Param1", "value1")])
        #expect(signed.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func utf8PathIsEncodedAsAWSSays() {
        let signed = Self.signature("GET", path: "/\u{1234}")
        #expect(signed.canonicalRequest.split(separator: "\n")[1] == "/%E1%88%B4")
        #expect(signed.signature == "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
    }

    @Test func iamListUsersExampleMatchesAWS() {
        let request = SignableRequest(
            method: "GET",
            host: "iam.amazonaws.com",
            query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "iam.amazonaws.com")]
        )
        let signed = Self.suiteSigner(service: "iam").sign(request, at: Self.exampleTime)
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
        #expect(request.url == "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
    }

    @Test func signingKeysMatchAWSExamples() {
        func hex(_ key: SymmetricKey) -> String {
            key.withUnsafeBytes { $0.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined() }
        }
        let iam = Self.suiteSigner(service: "iam")
        #expect(hex(iam.signingKey(day: "20150830")) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        #expect(hex(iam.signingKey(day: "20120215")) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func sessionTokenIsSentAndSigned() {
        var signer = Self.suiteSigner()
        signer.credentials.sessionToken = "token/with+chars="
        let signed = signer.sign(SignableRequest(method: "GET", host: "example.amazonaws.com"), at: Self.exampleTime)
        #expect(signed.headers.map(\.name) == ["Host", "X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(signed.authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
    }

    @Test func credentialsComeFromTheEnvironmentAndNeverPrintTheSecret() {
        let credentials = AWSCredentials(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "very-secret", "AWS_SESSION_TOKEN": "session",
        ])
        #expect(credentials?.sessionToken == "session")
        #expect(credentials.map { !"\($0)".contains("very-secret") && !"\($0)".contains("session,") } == true)
        #expect(AWSCredentials(environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"]) == nil)
    }

    @Test func endpointsParse() throws {
        let local = try AWSEndpoint(url: "http://127.0.0.1:5000")
        #expect(local.scheme == "http" && local.host == "127.0.0.1" && local.port == 5000 && local.path == "/")
        #expect(throws: AWSError.self) { try AWSEndpoint(url: "events.amazonaws.com") }
        #expect(throws: AWSError.self) { try AWSEndpoint(url: "ftp://x") }
        #expect(throws: AWSError.self) { try AWSEndpoint(url: "http://host:99999") }
    }
}
