import Synchronization

/// A position that only moves forward, which tasks can wait on.
///
/// The journal advances one as events commit (projections wait for new events); each projection
/// advances its own as it applies them (reads with `minPosition` wait for it). Waiters resume as
/// soon as the position reaches their target: no polling.
public final class PositionWatch: Sendable {
    private struct Waiter {
        let id: UInt64
        let target: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var position: UInt64
        var nextID: UInt64 = 0
        var waiters: [Waiter] = []
        /// Waiters between taking an id and registering their continuation.
        var registering: Set<UInt64> = []
        /// Of those, the ones cancelled in that window.
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>

    /// A watch starting at `position`.
    public init(position: UInt64 = 0) {
        self.state = Mutex(State(position: position))
    }

    /// The current position.
    public var position: UInt64 {
        state.withLock { $0.position }
    }

    /// Moves the position forward to `position` (never back) and resumes every waiter it satisfies.
    public func advance(to position: UInt64) {
        let ready: [Waiter] = state.withLock { state in
            guard position > state.position else { return [] }
            state.position = position
            guard !state.waiters.isEmpty else { return [] }
            var ready: [Waiter] = []
            state.waiters.removeAll { waiter in
                guard waiter.target <= position else { return false }
                ready.append(waiter)
                return true
            }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once the position is at least `target`, or when the task is cancelled.
    public func wait(until target: UInt64) async {
        let id: UInt64? = state.withLock { state in
            guard state.position < target else { return nil }
            state.nextID &+= 1
            state.registering.insert(state.nextID)
            return state.nextID
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    state.registering.remove(id)
                    if state.cancelled.remove(id) != nil || state.position >= target { return true }
                    state.waiters.append(Waiter(id: id, target: target, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index)
                }
                // Cancelled before the continuation was registered: tell the registration.
                if state.registering.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            waiter?.continuation.resume()
        }
    }
}
