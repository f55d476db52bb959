extension JSONScanner {
    // MARK: - Key identity

    /// Describes the key just parsed, whose bytes (if it had no escapes) start at `start`.
    @inline(__always)
    func makeKeyInfo(start: Int) -> KeyInfo {
        if lastStringWasEscaped {
            let hash = scratch.withUnsafeBufferPointer { KeyHash.hash($0, seed: keyHashSeed) }
            return KeyInfo(hash: hash, start: -1, count: scratch.count)
        }
        // The key ends just before the closing quote, at `offset - 1`.
        let keyBytes = UnsafeBufferPointer(rebasing: bytes[start..<(offset &- 1)])
        return KeyInfo(hash: KeyHash.hash(keyBytes, seed: keyHashSeed), start: start, count: keyBytes.count)
    }

    /// Whether the key of member `index` equals the new `key` described by `info`.
    @inline(__always)
    func keyMatches(memberAt index: Int, key: String, info: KeyInfo) -> Bool {
        let existing = keyStack[index]
        guard existing.hash == info.hash, existing.count == info.count else { return false }
        if existing.start >= 0 && info.start >= 0 {
            for position in 0..<info.count where bytes[existing.start &+ position] != bytes[info.start &+ position] {
                return false
            }
            return true
        }
        return memberStack.withElement(at: index) { $0.key == key }
    }

    // MARK: - Insertion

    /// Adds a member to the object being built from `base`; a repeated key keeps its first
    /// position and takes the new value (RFC 8259 leaves this open; last-wins is what
    /// JavaScript and most parsers do).
    @inline(__always)
    mutating func insertMember(key: String, info: KeyInfo, value: JSONValue, base: Int, keyTable: inout [Int]) {
        let memberCount = memberStack.count &- base
        if memberCount < Self.linearKeyScanLimit {
            var index = base
            while index < memberStack.count {
                if keyMatches(memberAt: index, key: key, info: info) {
                    memberStack.modify(at: index) { $0.value = value }
                    return
                }
                index &+= 1
            }
        } else {
            if keyTable.count < (memberCount &+ 1) &* 2 {
                rebuildKeyTable(&keyTable, base: base, minimumCapacity: (memberCount &+ 1) &* 4)
            }
            let mask = keyTable.count &- 1
            var slot = Int(truncatingIfNeeded: info.hash) & mask
            while keyTable[slot] != 0 {
                let index = base &+ keyTable[slot] &- 1
                if keyMatches(memberAt: index, key: key, info: info) {
                    memberStack.modify(at: index) { $0.value = value }
                    return
                }
                slot = (slot &+ 1) & mask
            }
            keyTable[slot] = memberCount &+ 1
        }
        memberStack.push(JSONObject.Member(key: key, value: value))
        keyStack.append(info)
    }

    /// Sizes `keyTable` to a power of two of at least `minimumCapacity` slots and fills it with
    /// the members from `base` (all keys there are distinct).
    mutating func rebuildKeyTable(_ keyTable: inout [Int], base: Int, minimumCapacity: Int) {
        let capacity = KeyHash.tableSize(minimumCapacity: minimumCapacity)
        keyTable = [Int](repeating: 0, count: capacity)
        let mask = capacity &- 1
        for index in base..<memberStack.count {
            var slot = Int(truncatingIfNeeded: keyStack[index].hash) & mask
            while keyTable[slot] != 0 { slot = (slot &+ 1) & mask }
            keyTable[slot] = index &- base &+ 1
        }
    }
}
