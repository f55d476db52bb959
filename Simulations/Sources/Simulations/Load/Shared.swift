import Synchronization

/// A value shared by the tasks of a run, behind a lock.
final class Locked<Value>: Sendable where Value: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// A counter shared by the tasks of a run.
final class SharedCounter: Sendable {
    private let atomic: Atomic<Int>

    init(_ value: Int = 0) {
        atomic = Atomic(value)
    }

    /// Adds `amount`; returns the new value.
    @discardableResult
    func add(_ amount: Int) -> Int {
        atomic.add(amount, ordering: .relaxed).newValue
    }

    /// Raises the value to at least `candidate`.
    func raise(to candidate: Int) {
        atomic.max(candidate, ordering: .relaxed)
    }

    var value: Int { atomic.load(ordering: .relaxed) }
}
