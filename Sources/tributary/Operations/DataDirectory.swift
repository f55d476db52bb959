import ArgumentParser
import EventSourcingLMDB

#if canImport(Glibc)
import Glibc
#endif

/// The `--data-dir` option the operations commands share.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The directory holding the LMDB journal.")
    var dataDirectory = "./data"

    /// Refuses a directory without a journal before LMDB reports something less readable.
    func requireJournal() throws {
        var status = stat()
        guard stat(dataDirectory + "/data.mdb", &status) == 0 else {
            throw StartupError(message: "\(dataDirectory) holds no Tributary journal (no data.mdb)")
        }
    }
}

/// Runs an operation, turning LMDB and journal failures into a plain message and exit code 1.
func operation<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StartupError {
        throw error
    } catch {
        throw StartupError(message: "\(what) failed: \(error)")
    }
}
