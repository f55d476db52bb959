import Crypto

/// What a bearer token may do.
public enum Scope: String, Sendable, Hashable, CaseIterable {
    /// Write changes: `POST /v1/cdc`, `POST /v1/commands/…`, `PUT /v1/schemas/…`.
    case ingest
    /// Read: every other `GET` under `/v1`.
    case query
    /// Operate: `/v1/admin/…` and starting backfills.
    case admin
}

/// The bearer tokens the server accepts, each with a name (for logs; the token itself is never
/// logged) and its scopes.
///
/// Tokens are kept as SHA-256 digests and a presented token is compared with every one of them
/// in constant time, so neither the comparison's duration nor an early exit tells how much of a
/// guess was right.
public struct AccessTokens: Sendable {
    /// One accepted token.
    public struct Holder: Sendable, Hashable {
        /// Who holds it.
        public var name: String
        /// What it may do.
        public var scopes: Set<Scope>
    }

    private struct Entry: Sendable {
        var holder: Holder
        var digest: [UInt8]
    }

    private let entries: [Entry]

    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumLength = 16

    /// Tokens from their holders' names, the tokens and their scopes.
    public init(_ tokens: [(name: String, token: String, scopes: Set<Scope>)]) throws(AccessTokensError) {
        var entries: [Entry] = []
        for (index, token) in tokens.enumerated() {
            guard token.token.utf8.count >= Self.minimumLength else {
                throw AccessTokensError(line: index + 1, reason: "the token of \(token.name) is shorter than \(Self.minimumLength) characters")
            }
            guard !token.scopes.isEmpty else { throw AccessTokensError(line: index + 1, reason: "\(token.name) has no scope") }
            entries.append(Entry(holder: Holder(name: token.name, scopes: token.scopes), digest: Array(SHA256.hash(data: Array(token.token.utf8)))))
        }
        guard !entries.isEmpty else { throw AccessTokensError(line: 0, reason: "no token is configured") }
        self.entries = entries
    }

    /// Tokens from their text form, one per line: `<name> <scope>[,<scope>…] <token>`, scopes
    /// among `ingest`, `query`, `admin`. Blank lines and lines starting with `#` are skipped; `;`
    /// also ends a line (for an environment variable).
    public init(parsing text: String) throws(AccessTokensError) {
        var tokens: [(name: String, token: String, scopes: Set<Scope>)] = []
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == ";" || $0 == "\r" }
        for (index, line) in lines.enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            guard words.count == 3 else {
                throw AccessTokensError(line: index + 1, reason: "expected '<name> <scopes> <token>', found \(words.count) words")
            }
            var scopes: Set<Scope> = []
            for word in words[1].split(separator: ",") {
                guard let scope = Scope(rawValue: String(word)) else {
                    throw AccessTokensError(line: index + 1, reason: "'\(word)' is not a scope; use ingest, query or admin")
                }
                scopes.insert(scope)
            }
            guard words[2].utf8.count >= Self.minimumLength else {
                throw AccessTokensError(line: index + 1, reason: "the token of \(words[0]) is shorter than \(Self.minimumLength) characters")
            }
            tokens.append((String(words[0]), String(words[2]), scopes))
        }
        try self.init(tokens)
    }

    /// The holder of `presented`, if it is one of the tokens.
    public func holder(of presented: some StringProtocol) -> Holder? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var found: Holder?
        for entry in entries {
            var difference: UInt8 = 0
            for (left, right) in zip(entry.digest, digest) { difference |= left ^ right }
            // Every entry is compared in full whatever matched before.
            if difference == 0 { found = entry.holder }
        }
        return found
    }
}

/// The tokens' text cannot be used.
public struct AccessTokensError: Error, Sendable, CustomStringConvertible {
    /// The line at fault (1-based; 0 for the whole text).
    public var line: Int
    /// What is wrong.
    public var reason: String

    public var description: String {
        line == 0 ? reason : "line \(line): \(reason)"
    }
}
