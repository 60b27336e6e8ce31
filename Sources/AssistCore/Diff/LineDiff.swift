/// Where lines end when a text is cut into lines for a diff.
enum LineBreaks: Sendable {
    /// Only `\n` ends a line, as in git; a `\r` before it stays part of the line.
    case lineFeed
    /// `\n`, `\r\n` and `\r` end a line, as in LSP.
    case lsp
}

/// One line of a text, with its line break when it has one.
struct DiffLine: Sendable {
    /// The line's bytes, without its line break.
    var content: [UInt8]
    /// The line break's bytes (`\n`, `\r\n` or `\r`), empty for a last line without one.
    var lineBreak: [UInt8]

    /// The line as a string, line break included.
    var text: String { String(decoding: content + lineBreak, as: UTF8.self) }
    /// The line as a string, without its line break.
    var contentText: String { String(decoding: content, as: UTF8.self) }
}

/// Cuts a text into lines, keeping each line's break.
/// - Parameters:
///   - text: The text to cut.
///   - breaks: Which byte sequences end a line.
/// - Returns: The lines; an empty text has none, and a text ending in a break has no empty last line.
func splitLines(_ text: String, breaks: LineBreaks) -> [DiffLine] {
    var lines: [DiffLine] = []
    let bytes = Array(text.utf8)
    var start = 0
    var i = 0
    while i < bytes.count {
        let byte = bytes[i]
        if byte == UInt8(ascii: "\n") {
            lines.append(DiffLine(content: Array(bytes[start..<i]), lineBreak: [byte]))
            start = i + 1
        } else if byte == UInt8(ascii: "\r"), breaks == .lsp {
            if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") {
                lines.append(DiffLine(content: Array(bytes[start..<i]), lineBreak: [byte, bytes[i + 1]]))
                i += 1
            } else {
                lines.append(DiffLine(content: Array(bytes[start..<i]), lineBreak: [byte]))
            }
            start = i + 1
        }
        i += 1
    }
    if start < bytes.count {
        lines.append(DiffLine(content: Array(bytes[start...]), lineBreak: []))
    }
    return lines
}

/// A line diff: which lines of the old text were deleted and which lines of the new text were inserted.
///
/// Lines compare byte for byte, line break included, so a change of line ending or of the final
/// newline is a change. The algorithm is Myers' O(ND) diff in linear space (divide and conquer on
/// the middle snake), after trimming the common prefix and suffix and setting aside lines that have
/// no equal in the other text, which keeps it fast on long files with few changes. When a region
/// needs more than a few hundred edits, it settles for a split close to optimal instead of the
/// optimum, so the worst case stays fast; the diff is always correct, only perhaps not minimal.
struct LineDiff: Sendable {
    /// `deleted[i]` is true when line `i` of the old text is not kept.
    var deleted: [Bool]
    /// `inserted[j]` is true when line `j` of the new text is new.
    var inserted: [Bool]

    /// Compares two lists of lines.
    /// - Parameters:
    ///   - old: The old lines.
    ///   - new: The new lines.
    init(old: [DiffLine], new: [DiffLine]) {
        var ids: [[UInt8]: Int] = [:]
        func id(_ line: DiffLine) -> Int {
            let key = line.content + line.lineBreak
            if let known = ids[key] { return known }
            let next = ids.count
            ids[key] = next
            return next
        }
        let a = old.map(id)
        let b = new.map(id)
        self.init(a: a, b: b)
    }

    /// Compares two sequences of line identifiers.
    /// - Parameters:
    ///   - a: The old sequence.
    ///   - b: The new sequence.
    init(a: [Int], b: [Int]) {
        deleted = Array(repeating: false, count: a.count)
        inserted = Array(repeating: false, count: b.count)
        // Lines without an equal on the other side cannot be part of a longest common subsequence.
        let inB = Set(b)
        let inA = Set(a)
        var aIndex: [Int] = []
        var bIndex: [Int] = []
        for (i, x) in a.enumerated() {
            if inB.contains(x) { aIndex.append(i) } else { deleted[i] = true }
        }
        for (j, y) in b.enumerated() {
            if inA.contains(y) { bIndex.append(j) } else { inserted[j] = true }
        }
        let a2 = aIndex.map { a[$0] }
        let b2 = bIndex.map { b[$0] }
        var del = Array(repeating: false, count: a2.count)
        var ins = Array(repeating: false, count: b2.count)
        var engine = MyersEngine(a: a2, b: b2)
        engine.compare(aLo: 0, aHi: a2.count, bLo: 0, bHi: b2.count, deleted: &del, inserted: &ins)
        for (k, i) in aIndex.enumerated() where del[k] { deleted[i] = true }
        for (k, j) in bIndex.enumerated() where ins[k] { inserted[j] = true }
    }
}

/// Myers' linear-space diff over integer sequences.
private struct MyersEngine {
    let a: [Int]
    let b: [Int]
    var forward: [Int] = []
    var backward: [Int] = []

    init(a: [Int], b: [Int]) {
        self.a = a
        self.b = b
        let size = 2 * (a.count + b.count) + 4
        forward = Array(repeating: 0, count: size)
        backward = Array(repeating: 0, count: size)
    }

    mutating func compare(aLo: Int, aHi: Int, bLo: Int, bHi: Int, deleted: inout [Bool], inserted: inout [Bool]) {
        var aLo = aLo, aHi = aHi, bLo = bLo, bHi = bHi
        while aLo < aHi, bLo < bHi, a[aLo] == b[bLo] {
            aLo += 1
            bLo += 1
        }
        while aLo < aHi, bLo < bHi, a[aHi - 1] == b[bHi - 1] {
            aHi -= 1
            bHi -= 1
        }
        if aLo == aHi {
            for j in bLo..<bHi { inserted[j] = true }
            return
        }
        if bLo == bHi {
            for i in aLo..<aHi { deleted[i] = true }
            return
        }
        guard let (x, y) = middleSnake(aLo: aLo, aHi: aHi, bLo: bLo, bHi: bHi),
            (x, y) != (aLo, bLo), (x, y) != (aHi, bHi)
        else {
            for i in aLo..<aHi { deleted[i] = true }
            for j in bLo..<bHi { inserted[j] = true }
            return
        }
        compare(aLo: aLo, aHi: x, bLo: bLo, bHi: y, deleted: &deleted, inserted: &inserted)
        compare(aLo: x, aHi: aHi, bLo: y, bHi: bHi, deleted: &deleted, inserted: &inserted)
    }

    /// Finds a point on an optimal path that splits the problem in two, or `nil` when there is none.
    mutating func middleSnake(aLo: Int, aHi: Int, bLo: Int, bHi: Int) -> (Int, Int)? {
        let n = aHi - aLo
        let m = bHi - bLo
        let delta = n - m
        let odd = delta & 1 != 0
        let maxD = (n + m + 1) / 2
        let offset = maxD + 1
        // As in git's xdiff: give up on minimality after about √(n + m) steps, but never below 256.
        let maximumCost = max(256, Int(Double(n + m).squareRoot()))
        // forward[offset + k]: furthest x on diagonal k (x - y = k) from the start.
        // backward[offset + k]: furthest x on diagonal k counted from the end (reversed texts).
        for k in 0..<(2 * offset + 2) {
            forward[k] = -1
            backward[k] = -1
        }
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        for d in 0...maxD {
            var k = -d
            while k <= d {
                var x: Int
                if k == -d || (k != d && forward[offset + k - 1] < forward[offset + k + 1]) {
                    x = forward[offset + k + 1]
                } else {
                    x = forward[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[aLo + x] == b[bLo + y] {
                    x += 1
                    y += 1
                }
                forward[offset + k] = x
                if odd {
                    let k2 = delta - k
                    if k2 >= -(d - 1), k2 <= d - 1, backward[offset + k2] >= 0 {
                        let xBack = n - backward[offset + k2]
                        if x >= xBack { return (aLo + x, bLo + y) }
                    }
                }
                k += 2
            }
            k = -d
            while k <= d {
                var x: Int
                if k == -d || (k != d && backward[offset + k - 1] < backward[offset + k + 1]) {
                    x = backward[offset + k + 1]
                } else {
                    x = backward[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[aHi - 1 - x] == b[bHi - 1 - y] {
                    x += 1
                    y += 1
                }
                backward[offset + k] = x
                if !odd {
                    let k1 = delta - k
                    if k1 >= -d, k1 <= d, forward[offset + k1] >= 0 {
                        let xForward = forward[offset + k1]
                        if xForward >= n - x {
                            return (aLo + n - x, bLo + m - y)
                        }
                    }
                }
                k += 2
            }
            if d >= maximumCost {
                // Too expensive to find the optimum: split at the forward path that got furthest.
                // Any point is a correct split; this one keeps the result close to minimal.
                var best: (x: Int, y: Int)?
                var k = -d
                while k <= d {
                    let x = min(forward[offset + k], n)
                    let y = x - k
                    if y >= 0, y <= m, x + y > (best.map { $0.x + $0.y } ?? 0), (x, y) != (n, m) { best = (x, y) }
                    k += 2
                }
                return best.map { (aLo + $0.x, bLo + $0.y) }
            }
        }
        return nil
    }
}
