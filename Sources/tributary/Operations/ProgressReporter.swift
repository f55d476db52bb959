#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long operation on standard error: a redrawn bar on a terminal, a plain line
/// every tenth of the way otherwise (logs, CI), so standard output stays free for data.
final class ProgressReporter {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var lastTenth = -1

    init(_ label: String) {
        self.label = label
    }

    /// Reports `done` of `total` (units as the caller counts them); `total` 0 means unknown.
    func update(_ done: UInt64, of total: UInt64) {
        if isTerminal {
            let now = ContinuousClock.now
            guard now - lastDraw >= .milliseconds(100) || (total > 0 && done >= total) else { return }
            lastDraw = now
            write("\r\(line(done, total))\u{1B}[K")
        } else {
            let tenth = total > 0 ? Int(min(done, total) * 10 / total) : 0
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            write(line(done, total) + "\n")
        }
    }

    /// Ends the bar's line on a terminal.
    func finish() {
        if isTerminal { write("\n") }
    }

    private func line(_ done: UInt64, _ total: UInt64) -> String {
        guard total > 0 else { return "\(label): \(grouped(done))" }
        let fraction = Double(min(done, total)) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\(label) [\(bar)] \(Int(fraction * 100))% \(grouped(done))/\(grouped(total))"
    }

    private func write(_ text: String) {
        FileHandleOutput.standardError(text)
    }
}

/// `1234567` as `1,234,567`.
func grouped(_ value: some BinaryInteger) -> String {
    let digits = Array(String(value))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return text
}
