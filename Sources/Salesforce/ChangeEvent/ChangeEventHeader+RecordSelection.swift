extension ChangeEventHeader {
    /// The records this change applies to, with every id validated and normalised.
    ///
    /// A `GAP_OVERFLOW` event always selects the whole entity. Otherwise a wildcard id (a key
    /// prefix followed by `*`, such as `001*`) or the empty overflow id selects the whole entity;
    /// every other id must be a valid 15- or 18-character Salesforce id and becomes its
    /// 18-character form. Throws when `recordIds` is empty or holds an id that is none of these,
    /// naming the id.
    public func recordSelection() throws(ChangeEventError) -> RecordSelection {
        if changeType == .gapOverflow { return .entity }
        guard !recordIds.isEmpty else {
            throw ChangeEventError(field: "\(Self.jsonKey).recordIds", message: "expected at least one record id, found an empty array")
        }
        var selectsEntity = false
        var normalized: [String] = []
        normalized.reserveCapacity(recordIds.count)
        // Nearly every event names one record or a few, searched in place; a set (empty until
        // used, so free) pays only for many.
        var seen: Set<String> = []
        for (index, raw) in recordIds.enumerated() {
            if Self.isWildcard(raw) {
                selectsEntity = true
            } else if let id = SalesforceID.normalize(raw) {
                if id == SalesforceID.emptyID {
                    selectsEntity = true
                } else if recordIds.count <= 8 ? !normalized.contains(id) : seen.insert(id).inserted {
                    normalized.append(id)
                }
            } else {
                throw ChangeEventError(
                    field: "\(Self.jsonKey).recordIds[\(index)]",
                    message: "expected a 15- or 18-character Salesforce id or a wildcard such as 001*, "
                        + "found invalid id \"\(raw.prefix(40))\""
                )
            }
        }
        return selectsEntity ? .entity : .records(normalized)
    }

    /// Whether `raw` is a wildcard id: 1 to 17 ASCII letters or digits (a key prefix such as
    /// `001`) followed by `*`.
    private static func isWildcard(_ raw: String) -> Bool {
        let bytes = raw.utf8
        guard bytes.count >= 2, bytes.count <= 18, bytes.last == UInt8(ascii: "*") else { return false }
        return bytes.dropLast().allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
        }
    }
}
