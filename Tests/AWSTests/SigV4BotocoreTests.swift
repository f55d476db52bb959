import AWS
import Foundation
import PythonToolsSupport
import JSON
import Testing

/// Our signatures against botocore's for the same inputs, over generated requests: methods, paths
/// needing escaping and normalising, query strings with repeated and awkward parameters, repeated
/// and untidy headers, binary bodies, session tokens, non-default ports.
@Suite struct SigV4BotocoreTests {
    /// A small deterministic generator (SplitMix64), so a failure can be reproduced from its seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        mutating func text(from alphabet: [String], length: ClosedRange<Int>) -> String {
            (0..<(length.lowerBound + below(length.count))).map { _ in pick(alphabet) }.joined()
        }
    }

    static let plain = (Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").map(String.init))
    static let awkward = plain + ["-", "_", ".", "~", " ", "+", "%", "=", "&", "/", "?", ":", "@", "!", "$", "'", "(", ")", "*", ",", ";", "é", "ü", "日", "\u{1234}", "😀"]
    static let pathPieces = awkward.filter { $0 != "/" && $0 != "?" } + ["%20", "%2F"]
    static let headerValueCharacters = plain + [" ", "  ", "\t", ",", ";", "=", "/", ":", "\"", "-", "(", ")"]

    struct Case {
        var signer: SigV4Signer
        var request: SignableRequest
        var time: Int64
    }

    static func generate(_ count: Int, seed: UInt64) -> [Case] {
        var random = Generator(state: seed)
        return (0..<count).map { _ in
            let method = random.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
            var segments: [String] = []
            for _ in 0..<random.below(5) {
                segments.append(random.chance(15) ? random.pick([".", "..", ""]) : random.text(from: pathPieces, length: 1...8))
            }
            var path = "/" + segments.joined(separator: "/")
            if random.chance(20) { path += "/" }
            var query: [(name: String, value: String)] = []
            for _ in 0..<random.below(6) {
                let name = random.chance(20) && !query.isEmpty ? random.pick(query).name : random.text(from: awkward, length: 1...6)
                query.append((name, random.chance(15) ? "" : random.text(from: awkward, length: 1...10)))
            }
            var headers: [(name: String, value: String)] = []
            if random.chance(70) { headers.append(("Host", "example.amazonaws.com")) }
            for _ in 0..<random.below(6) {
                let name = random.chance(15)
                    ? random.pick(["User-Agent", "Content-Type", "X-Amz-Target", "content-type", "Expect", "X-Amz-Meta-Tag"])
                    : "X-" + random.text(from: plain, length: 1...10)
                let value = random.chance(10) ? "" : random.text(from: headerValueCharacters, length: 1...20)
                headers.append((name, value))
            }
            let body = (0..<(random.chance(40) ? 0 : random.below(300))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let credentials = AWSCredentials(
                accessKeyID: "AKIA" + random.text(from: plain, length: 16...16).uppercased(),
                secretAccessKey: random.text(from: plain + ["/", "+"], length: 40...40),
                sessionToken: random.chance(30) ? random.text(from: plain + ["/", "+", "="], length: 20...60) : nil
            )
            let region = random.pick(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"])
            let service = random.pick(["events", "sqs", "iam", "execute-api", "service"])
            let scheme = random.pick(["https", "http"])
            let port: Int? = random.chance(30) ? random.pick([443, 80, 4566, 5000, 8443]) : nil
            let time = 1_400_000_000 + Int64(random.below(700_000_000))
            return Case(
                signer: SigV4Signer(credentials: credentials, region: region, service: service),
                request: SignableRequest(
                    method: method, scheme: scheme, host: random.pick(["example.amazonaws.com", "Events.EU-west-1.amazonaws.com", "127.0.0.1", "localhost"]),
                    port: port, path: path, query: query, headers: headers, body: body
                ),
                time: time
            )
        }
    }

    static func botocoreInput(_ item: Case) -> JSONValue {
        let request = item.request
        let authority = request.port.map { "\(request.host):\($0)" } ?? request.host
        let hex = request.body.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        var object: JSONObject = [
            "method": .string(request.method),
            "url": .string("\(request.scheme)://\(authority)\(request.path)"),
            "query": .array(request.query.map { [.string($0.name), .string($0.value)] }),
            "headers": .array(request.headers.map { [.string($0.name), .string($0.value)] }),
            "body": .string(hex),
            "accessKey": .string(item.signer.credentials.accessKeyID),
            "secretKey": .string(item.signer.credentials.secretAccessKey),
            "region": .string(item.signer.region),
            "service": .string(item.signer.service),
            "timestamp": .string(item.signer.sign(request, at: item.time).stringToSign.split(separator: "\n")[1].description),
        ]
        if let token = item.signer.credentials.sessionToken { object["token"] = .string(token) }
        return .object(object)
    }

    @Test func signaturesMatchBotocoreOverGeneratedRequests() async throws {
        let cases = Self.generate(1_000, seed: 20_261_127)
        let input = JSONValue.array(cases.map(Self.botocoreInput)).jsonBytes()
        let output = try JSONValue(parsing: Array(try await PythonTools.run("Tools/sigv4_botocore.py", input: Data(input))))
        let answers = try #require(output.arrayValue)
        try #require(answers.count == cases.count)
        var mismatches = 0
        for (index, (item, answer)) in zip(cases, answers).enumerated() {
            let ours = item.signer.sign(item.request, at: item.time)
            let theirs = answer.objectValue?["authorization"]?.stringValue
            if ours.authorization != theirs {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("""
                        case \(index) differs.
                        ours:     \(ours.authorization)
                        botocore: \(theirs ?? "nil")
                        our canonical request:
                        \(ours.canonicalRequest)
                        botocore's:
                        \(answer.objectValue?["canonicalRequest"]?.stringValue ?? "nil")
                        """)
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func timestampsAreUTC() {
        // 2000-02-29T23:59:59Z, a leap day at the end of a day.
        let signer = SigV4Signer(credentials: .init(accessKeyID: "A", secretAccessKey: "B"), region: "r", service: "s")
        let signed = signer.sign(SignableRequest(method: "GET", host: "h"), at: 951_868_799)
        #expect(signed.stringToSign.split(separator: "\n")[1] == "20000229T235959Z")
    }
}
