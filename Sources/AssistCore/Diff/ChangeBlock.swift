/// A run of consecutive changed lines: `oldCount` old lines from `oldStart` replaced by `newCount`
/// new lines from `newStart` (0-based indices into the line lists).
struct ChangeBlock: Sendable, Equatable {
    var oldStart: Int
    var oldCount: Int
    var newStart: Int
    var newCount: Int

    /// Groups the lines a ``LineDiff`` marks into blocks, in order.
    /// - Parameter diff: The line diff.
    /// - Returns: The blocks, none when the texts are equal.
    static func blocks(of diff: LineDiff) -> [ChangeBlock] {
        var blocks: [ChangeBlock] = []
        var i = 0
        var j = 0
        let n = diff.deleted.count
        let m = diff.inserted.count
        while i < n || j < m {
            if i < n, j < m, !diff.deleted[i], !diff.inserted[j] {
                i += 1
                j += 1
                continue
            }
            let start = (i, j)
            while i < n, diff.deleted[i] { i += 1 }
            while j < m, diff.inserted[j] { j += 1 }
            if (i, j) == start {
                // Unbalanced marks: cannot happen for a diff of two sequences; stop rather than loop.
                break
            }
            blocks.append(ChangeBlock(oldStart: start.0, oldCount: i - start.0, newStart: start.1, newCount: j - start.1))
        }
        return blocks
    }
}
