/// Which listening addresses only this machine can reach.
enum ListeningAddress {
    /// Whether `host` is a loopback address or name: `localhost`, `127.0.0.0/8`, `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part) != nil }
    }
}

/// The server's configuration cannot be used; the message says why and what to do.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, and how to fix it.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
