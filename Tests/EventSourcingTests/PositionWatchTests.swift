import EventSourcing
import Synchronization
import Testing

@Suite("PositionWatch", .timeLimit(.minutes(1)))
struct PositionWatchTests {
    // MARK: - Waiting

    @Test func waitReturnsAtOnceWhenThePositionIsAlreadyThere() async {
        let watch = PositionWatch(position: 7)
        await watch.wait(until: 7)
        await watch.wait(until: 3)
        #expect(watch.position == 7)
    }

    @Test func waitersResumeOnlyOnceTheirTargetIsReached() async {
        let watch = PositionWatch()
        let resumed = ResumedWaiters()

        await withTaskGroup(of: Void.self) { group in
            for target in UInt64(1)...50 {
                group.addTask {
                    await watch.wait(until: target)
                    let seen = watch.position
                    resumed.record(target: target, seen: seen)
                }
            }
            for position in UInt64(1)...50 {
                watch.advance(to: position)
                // Everything up to `position` must resume; nothing beyond it may have.
                let deadline = ContinuousClock.now + .seconds(30)
                while resumed.count < Int(position), ContinuousClock.now < deadline {
                    await Task.yield()
                }
                let early = resumed.targets.filter { $0 > position }
                #expect(early.isEmpty, "waiters for \(early) resumed at \(position)")
            }
        }

        let seen = resumed.all
        #expect(seen.count == 50)
        for (target, position) in seen {
            #expect(position >= target)
        }
    }

    @Test func advancingPastSeveralTargetsResumesThemAll() async {
        let watch = PositionWatch(position: 2)

        await withTaskGroup(of: UInt64.self) { group in
            for target in [UInt64(3), 5, 9, 9, 10] {
                group.addTask {
                    await watch.wait(until: target)
                    return watch.position
                }
            }
            watch.advance(to: 10)
            for await seen in group {
                #expect(seen == 10)
            }
        }
    }

    // MARK: - Cancellation

    @Test func cancellationResumesAWaiter() async {
        let watch = PositionWatch()
        let task = Task {
            await watch.wait(until: 100)
            return Task.isCancelled
        }

        task.cancel()

        #expect(await task.value)
        #expect(watch.position == 0)
    }

    @Test func aWaiterCancelledBeforeItWaitsReturnsAtOnce() async {
        let watch = PositionWatch()
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            await watch.wait(until: 100)
            return watch.position
        }

        task.cancel()

        #expect(await task.value == 0)
    }

    @Test func cancellingOneWaiterLeavesTheOthersWaiting() async {
        let watch = PositionWatch()
        let cancelled = Task { await watch.wait(until: 5) }
        let waiting = Task {
            await watch.wait(until: 5)
            return watch.position
        }

        cancelled.cancel()
        await cancelled.value
        watch.advance(to: 5)

        #expect(await waiting.value == 5)
    }

    // MARK: - Advancing

    @Test func advanceNeverGoesBackwards() async {
        let watch = PositionWatch()
        watch.advance(to: 5)
        watch.advance(to: 3)
        watch.advance(to: 5)
        #expect(watch.position == 5)
        await watch.wait(until: 4)
    }

    @Test func concurrentAdvancesEndAtTheHighest() async {
        let watch = PositionWatch()
        await withTaskGroup(of: Void.self) { group in
            for position in (UInt64(1)...500).shuffled() {
                group.addTask { watch.advance(to: position) }
            }
            group.addTask { await watch.wait(until: 500) }
        }
        #expect(watch.position == 500)
    }
}

/// Which waiters have resumed, and the position each saw when it did.
private final class ResumedWaiters: Sendable {
    private let seen = Mutex<[UInt64: UInt64]>([:])

    func record(target: UInt64, seen position: UInt64) {
        seen.withLock { $0[target] = position }
    }

    var count: Int { seen.withLock { $0.count } }
    var targets: [UInt64] { seen.withLock { Array($0.keys) } }
    var all: [UInt64: UInt64] { seen.withLock { $0 } }
}
