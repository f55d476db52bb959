/// The de-duplication keys a record has recorded: a set, kept as a plain array while small.
///
/// Most records hold a handful of keys, and a `Set` of one key costs twice the heap of an array of
/// one (a hash table sized for growth, plus its header); every resident record carries one of
/// these. Past `arrayLimit` keys the array becomes a `Set`, so a record changed thousands of times
/// still looks a key up in constant time.
public struct ChangeKeySet: Sendable, Hashable, Sequence {
    /// The keys while there are at most `arrayLimit` of them.
    private var small: [ChangeKey] = []
    /// The keys once there are more.
    private var large: Set<ChangeKey>?

    /// The most keys held in the array.
    static let arrayLimit = 8

    /// An empty set.
    public init() {}

    /// The number of keys.
    public var count: Int { large?.count ?? small.count }

    /// Whether `key` is in the set.
    public func contains(_ key: ChangeKey) -> Bool {
        if let large { return large.contains(key) }
        return small.contains(key)
    }

    /// Adds `key`; returns whether it was new.
    @discardableResult
    public mutating func insert(_ key: ChangeKey) -> Bool {
        if large != nil { return large!.insert(key).inserted }
        guard !small.contains(key) else { return false }
        if small.count < Self.arrayLimit {
            small.append(key)
        } else {
            var keys = Set(small)
            keys.insert(key)
            large = keys
            small = []
        }
        return true
    }

    /// The keys, in no particular order.
    public func makeIterator() -> Array<ChangeKey>.Iterator {
        (large.map(Array.init) ?? small).makeIterator()
    }

    /// Equal when they hold the same keys, in whatever order they were added.
    public static func == (lhs: ChangeKeySet, rhs: ChangeKeySet) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // The same count means the same form: past `arrayLimit` both are sets.
        if let left = lhs.large, let right = rhs.large { return left == right }
        return lhs.small.allSatisfy(rhs.small.contains)
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, like `==`: the keys' hashes are summed.
        hasher.combine(count)
        hasher.combine(reduce(0) { $0 &+ $1.hashValue })
    }
}
