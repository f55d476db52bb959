/// The end-of-run summary printed on the terminal.
public enum Report {
    /// A few lines: per series rate and latency, the headline figures, each check.
    public static func terminalSummary(_ summary: RunSummary) -> String {
        var lines = ["\(summary.scenario): \(summary.passed ? "PASSED" : "FAILED") — \(summary.injection)"]
        for series in summary.series {
            lines.append(
                "  \(series.name): \(Format.number(series.requestsPerSecond)) req/s, \(Format.number(series.operationsPerSecond)) ops/s, "
                    + "p50 \(Format.decimal(series.latency.p50)) ms, p99 \(Format.decimal(series.latency.p99)) ms, "
                    + "max \(Format.decimal(series.latency.max)) ms, errors \(series.errors)"
            )
        }
        for (name, value) in summary.figures.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(value >= 100 ? Format.number(value) : Format.decimal(value))")
        }
        for check in summary.checks {
            lines.append("  \(check.passed ? "✔" : "✘") \(check.name): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
