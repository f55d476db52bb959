extension UInt64 {
    /// How many events a reader at this position (a read model, the publisher) trails the
    /// journal's `head` by; 0 when it is at or past it. The one formula behind every `lag`
    /// answered, gauged and checked.
    func lag(behind head: UInt64) -> UInt64 {
        head > self ? head - self : 0
    }
}
