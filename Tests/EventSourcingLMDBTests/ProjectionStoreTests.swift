import EventSourcing
@testable import EventSourcingLMDB
import Foundation
import Testing

/// The projection store contract, against memory and LMDB, and what only LMDB storage does:
/// survive a restart, discard state under another stamp or left open by another boot, swap
/// rebuilt stores in.
@Suite("Projection stores")
struct ProjectionStoreTests {
    enum Kind: String, CaseIterable, Sendable {
        case inMemory, lmdb
    }

    /// Runs `body` with storage of `kind` in a fresh directory.
    func withStorage(_ kind: Kind, _ body: (any ProjectionStorage) throws -> Void) throws {
        switch kind {
        case .inMemory:
            try body(InMemoryProjectionStorage())
        case .lmdb:
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let storage = try LMDBProjectionStorage(directory: directory.path + "/readmodels")
            try body(storage)
            try storage.close()
        }
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func entries(_ store: any ProjectionStore, from start: String = "") throws -> [String] {
        var keys: [String] = []
        try store.scan(from: bytes(start)) { key, value in
            keys.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
            return true
        }
        return keys
    }

    /// The read models' map grows under their writes (it starts small here), and what was
    /// written before and after the growth reads back, also after a reopen.
    @Test func lmdbStorageGrowsItsMapUnderItsWrites() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        let value = [UInt8](repeating: 0xA5, count: 3000)
        func key(_ index: Int) -> [UInt8] { bytes(String(format: "record-%06d", index)) }
        do {
            let storage = try LMDBProjectionStorage(directory: path, initialMapSize: 1 << 20)
            let store = try storage.store(named: "clients", stamp: "v1")
            for batch in 0..<8 {
                var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: UInt64(batch + 1)))
                for index in batch * 500..<(batch + 1) * 500 { changes.put(value + [UInt8(index % 251)], forKey: key(index)) }
                try store.commit(changes)
            }
            #expect(storage.environment.mapSize > 1 << 20)
            #expect(try store.values(forKeys: [key(0), key(3999)]) == [value + [0], value + [UInt8(3999 % 251)]])
            try storage.close()
        }
        let reopened = try LMDBProjectionStorage(directory: path, initialMapSize: 1 << 20)
        let store = try reopened.store(named: "clients", stamp: "v1")
        #expect(try store.checkpoint().position == 8)
        var count = 0
        try store.scan(from: []) { key, stored in
            count += 1
            return stored.count == value.count + 1
        }
        #expect(count == 4000)
        try reopened.close()
    }

    @Test(arguments: Kind.allCases)
    func aCommitStoresItsWritesInKeyOrderWithItsCheckpoint(kind: Kind) throws {
        try withStorage(kind) { storage in
            let store = try storage.store(named: "clients", stamp: "v1")
            #expect(try store.checkpoint() == ProjectionCheckpoint(position: 0))
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 7, metadata: [1, 2]))
            for key in ["c", "a", "b", "ab"] { changes.put(bytes(key.uppercased()), forKey: bytes(key)) }
            try store.commit(changes)
            #expect(try store.checkpoint() == ProjectionCheckpoint(position: 7, metadata: [1, 2]))
            #expect(try entries(store) == ["a=A", "ab=AB", "b=B", "c=C"])
            #expect(try entries(store, from: "aa") == ["ab=AB", "b=B", "c=C"])
            #expect(try store.values(forKeys: [bytes("b"), bytes("zz")]) == [bytes("B"), nil])

            var more = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 9))
            more.remove(bytes("ab"))
            more.put(bytes("B2"), forKey: bytes("b"))
            more.remove(bytes("missing"))
            more.put(bytes("AB"), forKey: bytes("ab"))
            more.remove(bytes("c"))
            try store.commit(more)
            #expect(try entries(store) == ["a=A", "ab=AB", "b=B2"])
            #expect(try store.checkpoint().position == 9)

            // Stopping early.
            var seen = 0
            try store.scan(from: []) { _, _ in
                seen += 1
                return seen < 2
            }
            #expect(seen == 2)
        }
    }

    @Test(arguments: Kind.allCases)
    func aRebuiltStoreIsFilledBesideTheOneInForceAndPromotedTogether(kind: Kind) throws {
        try withStorage(kind) { storage in
            let live = try storage.store(named: "clients", stamp: "v1")
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 3))
            changes.put(bytes("old"), forKey: bytes("k"))
            try live.commit(changes)

            let rebuilt = try storage.rebuildStore(named: "clients", stamp: "v2")
            #expect(try rebuilt.checkpoint().position == 0)
            var fresh = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 5))
            fresh.put(bytes("new"), forKey: bytes("k"))
            try rebuilt.commit(fresh)
            #expect(try entries(live) == ["k=old"], "the store in force is untouched until the promotion")

            try storage.promoteRebuilt(["clients"])
            let inForce = try storage.store(named: "clients", stamp: "v2")
            #expect(try entries(inForce) == ["k=new"])
            #expect(try inForce.checkpoint().position == 5)
        }
    }

    @Test func lmdbStoresSurviveARestartAndAreDiscardedUnderAnotherStamp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        do {
            let storage = try LMDBProjectionStorage(directory: path)
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 42, metadata: [9]))
            changes.put(bytes("v"), forKey: bytes("k"))
            try storage.store(named: "clients", stamp: "mapping-a").commit(changes)
            try storage.store(named: "deals", stamp: "mapping-a").commit(changes)
            try storage.close()
        }
        let storage = try LMDBProjectionStorage(directory: path)
        #expect(!storage.discardedAfterMachineCrash)
        let same = try storage.store(named: "clients", stamp: "mapping-a")
        #expect(try same.checkpoint() == ProjectionCheckpoint(position: 42, metadata: [9]))
        #expect(try entries(same) == ["k=v"])
        let restamped = try storage.store(named: "deals", stamp: "mapping-b")
        #expect(try restamped.checkpoint() == ProjectionCheckpoint(position: 0))
        #expect(try entries(restamped).isEmpty)
        try storage.close()
    }

    @Test func aRebuildPromotedBeforeARestartIsTheStoreInForceAfterIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        do {
            let storage = try LMDBProjectionStorage(directory: path)
            _ = try storage.store(named: "clients", stamp: "v1")
            let rebuilt = try storage.rebuildStore(named: "clients", stamp: "v1")
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 8))
            changes.put(bytes("rebuilt"), forKey: bytes("k"))
            try rebuilt.commit(changes)
            try storage.promoteRebuilt(["clients"])
            try storage.close()
        }
        let storage = try LMDBProjectionStorage(directory: path)
        let store = try storage.store(named: "clients", stamp: "v1")
        #expect(try entries(store) == ["k=rebuilt"])
        #expect(try store.checkpoint().position == 8)
        try storage.close()
    }

    @Test func anEnvironmentLeftOpenByThisBootIsKeptAndOneLeftOpenByAnotherIsDeleted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        func fill() throws {
            let storage = try LMDBProjectionStorage(directory: path)
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 1))
            changes.put(bytes("v"), forKey: bytes("k"))
            try storage.store(named: "clients", stamp: "s").commit(changes)
            // Not closed: as if the process had been killed.
            storage.environment.close()
        }
        try fill()
        #expect(try String(contentsOfFile: path + "/session", encoding: .utf8) == "open \(LMDBProjectionStorage.bootID())\n")
        let afterKill = try LMDBProjectionStorage(directory: path)
        #expect(!afterKill.discardedAfterMachineCrash)
        #expect(try entries(afterKill.store(named: "clients", stamp: "s")) == ["k=v"])
        afterKill.environment.close()

        try Data("open another-boot\n".utf8).write(to: URL(fileURLWithPath: path + "/session"))
        let afterPowerCut = try LMDBProjectionStorage(directory: path)
        #expect(afterPowerCut.discardedAfterMachineCrash)
        #expect(try entries(afterPowerCut.store(named: "clients", stamp: "s")).isEmpty)
        try afterPowerCut.close()
        #expect(try String(contentsOfFile: path + "/session", encoding: .utf8) == "clean\n")
    }

    @Test func aRetiredStoreCannotCommitIntoItsSlotOnceARebuildReusesItAndTheSlotIsEmptiedAtStartUp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        do {
            let storage = try LMDBProjectionStorage(directory: path)
            let original = try storage.store(named: "clients", stamp: "v1")
            var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 1))
            changes.put(bytes("original"), forKey: bytes("k"))
            try original.commit(changes)
            // Two rebuilds: the second reuses the original's slot, now retired.
            let first = try storage.rebuildStore(named: "clients", stamp: "v1")
            try first.commit(changes)
            try storage.promoteRebuilt(["clients"])
            let second = try storage.rebuildStore(named: "clients", stamp: "v1")
            #expect(throws: LMDBError.self) { try original.commit(changes) }
            #expect(try entries(second).isEmpty, "the retired store's commit did not land in the rebuild")
            try first.commit(changes)
            try storage.close()
        }
        let storage = try LMDBProjectionStorage(directory: path)
        #expect(try entries(storage.store(named: "clients", stamp: "v1")) == ["k=original"])
        let slots = try (0..<2).map { try storage.environment.openDatabase("clients/\($0)") }
        let counts = try storage.environment.withReadTransaction { transaction in try slots.map { try transaction.count(in: $0) } }
        #expect(counts.sorted() == [0, 1], "the slot out of force is emptied at start-up")
        try storage.close()
    }

    @Test func anEnvironmentWhoseCloseFailedToSyncIsRebuilt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/readmodels"
        let storage = try LMDBProjectionStorage(directory: path)
        var changes = ProjectionChanges(checkpoint: ProjectionCheckpoint(position: 1))
        changes.put(bytes("v"), forKey: bytes("k"))
        try storage.store(named: "clients", stamp: "s").commit(changes)
        try storage.close()
        try Data("dirty\n".utf8).write(to: URL(fileURLWithPath: path + "/session"))
        let reopened = try LMDBProjectionStorage(directory: path)
        #expect(reopened.discardedAfterMachineCrash)
        #expect(try entries(reopened.store(named: "clients", stamp: "s")).isEmpty)
        try reopened.close()
    }
}
