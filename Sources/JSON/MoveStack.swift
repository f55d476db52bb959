/// A growable stack that hands its top elements out by moving them, not copying them.
///
/// The parser collects the elements and members of every open container here and, when a
/// container closes, moves its run off the top into an exactly sized array: one allocation per
/// container and no retain/release per element, where an `Array` stack would copy (retain) into
/// the new array and then release on removal. Owned memory, freed in `deinit`.
struct MoveStack<Element>: ~Copyable {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// The number of elements on the stack.
    private(set) var count: Int

    init(initialCapacity: Int = 32) {
        let capacity = Swift.max(initialCapacity, 1)
        self.storage = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        self.capacity = capacity
        self.count = 0
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// Pushes `element` on top.
    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (storage + count).initialize(to: element)
        count &+= 1
    }

    private mutating func grow() {
        let newCapacity = capacity &* 2
        let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newStorage.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    /// Runs `body` on the element at `index` (below `count`) in place.
    @inline(__always)
    mutating func modify<Result>(at index: Int, _ body: (inout Element) -> Result) -> Result {
        body(&storage[index])
    }

    /// Runs `body` on the element at `index` (below `count`) without copying it.
    @inline(__always)
    func withElement<Result>(at index: Int, _ body: (borrowing Element) -> Result) -> Result {
        body(storage[index])
    }

    /// Removes the elements from `base` up and returns them in order, moved into a new array.
    mutating func popAll(from base: Int) -> [Element] {
        let moved = count &- base
        guard moved > 0 else { return [] }
        let source = storage + base
        let result = [Element](unsafeUninitializedCapacity: moved) { buffer, initializedCount in
            if let destination = buffer.baseAddress {
                destination.moveInitialize(from: source, count: moved)
                initializedCount = moved
            }
        }
        count = base
        return result
    }
}
