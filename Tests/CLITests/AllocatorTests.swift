import Foundation
import Testing

/// The server runs on jemalloc (README, "The memory allocator"): the `tributary` executable links
/// it so that it replaces glibc's `malloc`. A build that lost the link setting would still pass
/// every functional test while using more CPU and a creeping heap; this catches that.
@Suite("memory allocator", .timeLimit(.minutes(2)))
struct AllocatorTests {
    #if os(Linux)
    @Test func theServerProcessMapsJemalloc() async throws {
        let directory = temporaryPath("allocator")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await ServerChild.start(dataDirectory: directory)
        // /proc files report a size of 0: read them to the end rather than by their size.
        let maps = FileHandle(forReadingAtPath: "/proc/\(server.process.processIdentifier)/maps").map { file in
            defer { try? file.close() }
            return String(decoding: (try? file.readToEnd()) ?? Data(), as: UTF8.self)
        }
        #expect(await server.stop() == 0)
        let map = try #require(maps, "the server's memory map could not be read")
        #expect(map.contains("libjemalloc"), "the server's memory map names no jemalloc library")
    }
    #endif
}
