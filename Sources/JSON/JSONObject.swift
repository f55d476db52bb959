/// A JSON object that keeps its members in the order they were written.
///
/// Lookups scan the members: Salesforce objects have tens of fields, where a scan beats hashing.
/// Equality ignores member order, as JSON does.
public struct JSONObject: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One `"key": value` member.
    public struct Member: Sendable, Hashable {
        /// The member name.
        public var key: String
        /// The member value.
        public var value: JSONValue

        /// A member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in order. Keys are unique.
    public private(set) var members: [Member]

    /// An empty object.
    public init() {
        self.members = []
    }

    /// An object from members whose keys are already known to be unique.
    public init(_ members: [Member]) {
        self.members = members
    }

    /// An object from literal members, in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = []
        self.members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// The number of members.
    @inlinable
    public var count: Int { members.count }

    /// Whether the object has no members.
    @inlinable
    public var isEmpty: Bool { members.isEmpty }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of member `key`. Setting a value replaces it in place or appends it; setting
    /// `nil` removes the member (it does not store JSON `null`: use `.null` for that).
    public subscript(key: String) -> JSONValue? {
        get {
            // By index: `for member in members` copied each member it passed (a retain and a
            // release of its key and value), the bulk of a miss's cost.
            for index in members.indices where members[index].key == key { return members[index].value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without looking for an existing one; the caller guarantees the key is new.
    public mutating func appendUnique(key: String, value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    /// Reserves room for `capacity` members.
    public mutating func reserveCapacity(_ capacity: Int) {
        members.reserveCapacity(capacity)
    }

    public func makeIterator() -> IndexingIterator<[Member]> {
        members.makeIterator()
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard rhs[member.key] == member.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-insensitive: combine the members' own hashes commutatively.
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}
