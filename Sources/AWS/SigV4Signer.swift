import Crypto

/// Signs HTTP requests with AWS Signature Version 4 (header form), as AWS's SDKs do.
///
/// The canonical request follows AWS's rules and botocore's reading of them:
/// - the path loses its dot segments and repeated slashes, then is URI-encoded (everything but
///   unreserved characters and `/`): a path already percent-encoded on the wire is encoded again,
///   which is what every service but S3 expects;
/// - query parameters are encoded and sorted by encoded name, then value;
/// - header names are lower-cased, values trimmed with inner runs of spaces collapsed, repeated
///   headers joined with commas; hop-by-hop headers and `User-Agent` are not signed;
/// - the payload hash is the SHA-256 of the body, or an `X-Amz-Content-SHA256` header's value.
///
/// Tested against AWS's published examples and, over many generated requests, against botocore.
public struct SigV4Signer: Sendable {
    /// The credentials that sign.
    public var credentials: AWSCredentials
    /// The region, e.g. `eu-west-1`.
    public var region: String
    /// The service's signing name, e.g. `events`.
    public var service: String

    /// A signer for `service` in `region`.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Headers AWS leaves out of signatures (hop-by-hop ones change in transit).
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// What signing produced: the headers to add to the request, and the intermediate texts
    /// (useful when a service answers `SignatureDoesNotMatch`).
    public struct Signature: Sendable {
        /// `Host` (when the request had none), `X-Amz-Date`, `X-Amz-Security-Token` (with a session
        /// token) and `Authorization`.
        public var headers: [(name: String, value: String)]
        /// The canonical request that was signed.
        public var canonicalRequest: String
        /// The string to sign.
        public var stringToSign: String
        /// The signature, in hex.
        public var signature: String
        /// The `Authorization` header's value.
        public var authorization: String
    }

    /// Signs `request` as of `secondsSince1970` (UTC).
    public func sign(_ request: SignableRequest, at secondsSince1970: Int64) -> Signature {
        let timestamp = AWSDate(secondsSince1970: secondsSince1970)
        var added: [(name: String, value: String)] = []
        var headers = request.headers.filter { $0.name.lowercased() != "authorization" }
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            added.append(("Host", request.hostHeader))
        }
        added.append(("X-Amz-Date", timestamp.full))
        headers.removeAll { $0.name.lowercased() == "x-amz-date" }
        if let token = credentials.sessionToken {
            headers.removeAll { $0.name.lowercased() == "x-amz-security-token" }
            added.append(("X-Amz-Security-Token", token))
        }
        headers += added

        // Lower-cased names, values in order of appearance, sorted by name as bytes.
        var canonicalValues: [String: [String]] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard !Self.unsignedHeaders.contains(lowered) else { continue }
            canonicalValues[lowered, default: []].append(Self.trimAll(value))
        }
        let sorted = canonicalValues.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let signedHeaders = sorted.map(\.key).joined(separator: ";")
        let canonicalHeaders = sorted.map { "\($0.key):\($0.value.joined(separator: ","))\n" }.joined()
        let payloadHash = canonicalValues["x-amz-content-sha256"]?.first ?? Self.hexSHA256(request.body)

        let canonicalRequest = [
            request.method.uppercased(),
            URIEncoding.encode(Self.removingDotSegments(request.path), keepingSlashes: true),
            request.canonicalQuery,
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(timestamp.day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            timestamp.full,
            scope,
            Self.hexSHA256(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: timestamp.day)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        added.append(("Authorization", authorization))
        return Signature(
            headers: added,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            authorization: authorization
        )
    }

    /// The key derived for `day` (`YYYYMMDD`): HMACs of the day, region, service and
    /// `aws4_request`, starting from `AWS4` + the secret.
    public func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    // MARK: - Canonical pieces

    /// A header value trimmed, with every inner run of white space made one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0.isASCII && $0.isWhitespace || $0 == "\u{1C}" || $0 == "\u{1D}" || $0 == "\u{1E}" || $0 == "\u{1F}" })
            .joined(separator: " ")
    }

    /// RFC 3986's dot-segment removal, also dropping empty segments (AWS wants repeated slashes
    /// gone); an empty path is `/`.
    static func removingDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The parts of an HTTP request that a signature covers.
public struct SignableRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// `https` or `http`.
    public var scheme: String
    /// The host name (or address).
    public var host: String
    /// The port, when not the scheme's default.
    public var port: Int?
    /// The path as sent on the request line (percent-encoded where needed); `/` at least.
    public var path: String
    /// The query parameters, not yet encoded, in any order.
    public var query: [(name: String, value: String)]
    /// The headers to send (and sign).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// A request to sign.
    public init(
        method: String,
        scheme: String = "https",
        host: String,
        port: Int? = nil,
        path: String = "/",
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The `Host` header: the host, with the port unless it is the scheme's default.
    public var hostHeader: String {
        let defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : nil
        guard let port, port != defaultPort else { return host.lowercased() }
        return "\(host.lowercased()):\(port)"
    }

    /// The query as signed and as sent: each name and value URI-encoded, sorted by name, then
    /// value (as bytes).
    public var canonicalQuery: String {
        query
            .map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }
            .sorted { left, right in
                left.0 == right.0
                    ? left.1.utf8.lexicographicallyPrecedes(right.1.utf8)
                    : left.0.utf8.lexicographicallyPrecedes(right.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The URL to send the request to.
    public var url: String {
        let authority = port.map { "\(host):\($0)" } ?? host
        let query = canonicalQuery
        return "\(scheme)://\(authority)\(path)\(query.isEmpty ? "" : "?" + query)"
    }
}

/// AWS's URI encoding: every byte but the unreserved characters (`A-Z a-z 0-9 - _ . ~`) as `%XX`
/// in upper-case hex, over UTF-8.
public enum URIEncoding {
    /// `text` encoded; with `keepingSlashes`, `/` stays as it is (for paths).
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: "/") where keepingSlashes:
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A UTC time in the two forms SigV4 uses: `YYYYMMDD` and `YYYYMMDDTHHMMSSZ`.
struct AWSDate {
    let day: String
    let full: String

    init(secondsSince1970 seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil-from-days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        self.day = pad(year, 4) + pad(month, 2) + pad(day, 2)
        self.full = self.day + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }
}
