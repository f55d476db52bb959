/// The org's API allowance as `Sforce-Limit-Info: api-usage=<used>/<limit>` reports it.
public struct APIUsage: Sendable, Hashable {
    /// Calls used in the current 24-hour window.
    public var used: Int
    /// The allowance.
    public var limit: Int

    /// A usage reading.
    public init(used: Int, limit: Int) {
        self.used = used
        self.limit = limit
    }

    /// Reads the `api-usage` entry of a `Sforce-Limit-Info` header value; `nil` when absent or
    /// malformed.
    public init?(limitInfo: String) {
        for entry in limitInfo.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: " ") == "api-usage" else { continue }
            let numbers = parts[1].split(separator: "/")
            guard numbers.count == 2, let used = Int(numbers[0].trimmingCharacters(in: " ")),
                let limit = Int(numbers[1].trimmingCharacters(in: " ")), limit > 0, used >= 0
            else { return nil }
            self.init(used: used, limit: limit)
            return
        }
        return nil
    }

    /// The share of the allowance used.
    public var share: Double { Double(used) / Double(limit) }

    /// The pause before the next call: none below `slowDownAt`, then growing linearly to
    /// `maximum` as usage reaches the whole allowance.
    public func pause(slowDownAt: Double, maximum: Duration) -> Duration {
        guard share > slowDownAt, slowDownAt < 1 else { return .zero }
        let fraction = min(1, (share - slowDownAt) / (1 - slowDownAt))
        return maximum * fraction
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return text
    }
}
