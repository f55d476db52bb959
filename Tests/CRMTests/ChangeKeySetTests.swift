@testable import CRM
import Testing

@Suite("ChangeKeySet")
struct ChangeKeySetTests {
    func key(_ index: Int) -> ChangeKey {
        ChangeKey(transactionKey: "0004d6a0-8d5a-\(index)", sequenceNumber: Int64(index % 3), changeType: index % 2 == 0 ? "UPDATE" : "CREATE")
    }

    @Test func anEmptySetHoldsNothingAndEqualsAnotherEmptyOne() {
        let keys = ChangeKeySet()
        #expect(keys.count == 0)
        #expect(!keys.contains(key(0)))
        #expect(Array(keys).isEmpty)
        #expect(keys == ChangeKeySet())
    }

    @Test(arguments: [1, ChangeKeySet.arrayLimit, ChangeKeySet.arrayLimit + 1, 100])
    func holdsEachKeyOnceAtAnySize(count: Int) {
        var keys = ChangeKeySet()
        for index in 0..<count {
            let inserted = keys.insert(key(index))
            #expect(inserted)
        }
        for index in 0..<count {
            let inserted = keys.insert(key(index))
            #expect(!inserted, "re-inserting key \(index)")
        }
        #expect(keys.count == count)
        #expect((0..<count).allSatisfy { keys.contains(key($0)) })
        #expect(!keys.contains(key(count)))
        #expect(Set(keys) == Set((0..<count).map(key)))
    }

    @Test(arguments: [3, 20])
    func setsOfTheSameKeysAreEqualWhateverTheirOrder(count: Int) {
        var forward = ChangeKeySet()
        var backward = ChangeKeySet()
        for index in 0..<count { forward.insert(key(index)) }
        for index in (0..<count).reversed() { backward.insert(key(index)) }
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        backward.insert(key(count))
        #expect(forward != backward)
        forward.insert(key(count + 1))
        #expect(forward != backward)
    }
}
