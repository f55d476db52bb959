#if canImport(Glibc)
import Glibc
#endif

/// Names the build of the running executable, for snapshot stamps: a snapshot written by one
/// build is never loaded by another, whose code may fold events differently.
enum BuildIdentity {
    /// The GNU build id the linker wrote into the executable (a hash of its contents), read from
    /// the ELF notes of `/proc/self/exe`: a few kilobytes, however large the binary. "unknown"
    /// when there is none (then snapshots of any build without one match).
    static func ofRunningExecutable() -> String {
        let descriptor = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "unknown" }
        defer { close(descriptor) }
        func bytes(at offset: Int, count: Int) -> [UInt8]? {
            guard count > 0, count <= 1 << 20 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let read = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
            return read == count ? buffer : nil
        }
        func integer<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> Int {
            Int(bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) })
        }
        // An ELF64 little-endian executable: the program headers, then each PT_NOTE segment.
        guard let header = bytes(at: 0, count: 64), header.starts(with: [0x7F, 0x45, 0x4C, 0x46, 2, 1]) else { return "unknown" }
        let tableOffset = integer(header, 32, UInt64.self)
        let entrySize = integer(header, 54, UInt16.self)
        let entries = integer(header, 56, UInt16.self)
        guard entrySize >= 56, let table = bytes(at: tableOffset, count: entrySize * entries) else { return "unknown" }
        for index in 0..<entries {
            let entry = index * entrySize
            guard integer(table, entry, UInt32.self) == 4 else { continue }  // PT_NOTE
            guard let notes = bytes(at: integer(table, entry + 8, UInt64.self), count: integer(table, entry + 32, UInt64.self)) else { continue }
            var offset = 0
            while offset + 12 <= notes.count {
                let nameSize = integer(notes, offset, UInt32.self)
                let descriptionSize = integer(notes, offset + 4, UInt32.self)
                let type = integer(notes, offset + 8, UInt32.self)
                let descriptionStart = offset + 12 + (nameSize + 3) & ~3
                guard descriptionStart + descriptionSize <= notes.count else { break }
                if type == 3, nameSize == 4, notes[(offset + 12)..<(offset + 15)].elementsEqual("GNU".utf8) {  // NT_GNU_BUILD_ID
                    return notes[descriptionStart..<(descriptionStart + descriptionSize)]
                        .map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                }
                offset = descriptionStart + (descriptionSize + 3) & ~3
            }
        }
        return "unknown"
    }
}
