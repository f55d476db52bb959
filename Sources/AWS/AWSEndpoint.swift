/// Where an AWS service is reached: scheme, host, port and path.
public struct AWSEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `https`, or `http` for a local emulator.
    public var scheme: String
    /// The host name or address.
    public var host: String
    /// The port, when not the scheme's default.
    public var port: Int?
    /// The path requests go to (`/` for the JSON protocols).
    public var path: String

    /// An endpoint from a URL such as `https://events.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:5000`; throws `invalidEndpoint` for anything else.
    public init(url: String) throws(AWSError) {
        let schemeEnd = url.firstRange(of: "://")
        guard let schemeEnd else { throw .invalidEndpoint("'\(url)' has no scheme (http:// or https://)") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidEndpoint("'\(url)': only http and https are supported") }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = String(rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" })
        var host = String(authority)
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw .invalidEndpoint("'\(url)' has an invalid port")
            }
            host = String(authority[..<colon])
            port = number
        }
        guard !host.isEmpty, !host.contains("@") else { throw .invalidEndpoint("'\(url)' has no host") }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : path
    }

    /// EventBridge's public endpoint in `region`.
    public static func eventBridge(region: String) -> AWSEndpoint {
        AWSEndpoint(scheme: "https", host: "events.\(region).amazonaws.com", port: nil, path: "/")
    }

    /// An endpoint from its parts.
    public init(scheme: String, host: String, port: Int?, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    public var description: String {
        "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(path == "/" ? "" : path)"
    }
}
