/// The language of a file, from its extension or, for files without a known one, its `#!` line.
public enum Language: String, Hashable, Sendable, Codable, CaseIterable {
    /// Swift (`.swift`, `.swiftinterface`, `#!/usr/bin/swift`).
    case swift
    /// C (`.c`, `.h`).
    case c
    /// C++ (`.cpp`, `.cc`, `.hpp`, …).
    case cpp
    /// Objective-C (`.m`, `.mm`).
    case objectiveC = "objective-c"
    /// Python (`.py`, `#!…python3`).
    case python
    /// Shell scripts (`.sh`, `#!/bin/bash`, `Dockerfile`).
    case shell
    /// JavaScript (`.js`, `.mjs`, `#!…node`).
    case javascript
    /// TypeScript (`.ts`, `.tsx`).
    case typescript
    /// Ruby (`.rb`).
    case ruby
    /// Go (`.go`).
    case go
    /// Rust (`.rs`).
    case rust
    /// Java (`.java`).
    case java
    /// Kotlin (`.kt`, `.kts`).
    case kotlin
    /// JSON (`.json`).
    case json
    /// YAML (`.yml`, `.yaml`).
    case yaml
    /// TOML (`.toml`).
    case toml
    /// Markdown (`.md`, `.docc`).
    case markdown
    /// HTML (`.html`).
    case html
    /// CSS (`.css`).
    case css
    /// XML and property lists (`.xml`, `.plist`).
    case xml
    /// CMake (`CMakeLists.txt`, `.cmake`).
    case cmake
    /// Make (`Makefile`, `.mk`).
    case make
    /// Plain text (`.txt`).
    case text
    /// No extension or `#!` line that this table knows.
    case unknown

    /// The language named by a path's extension (or its whole file name for `Makefile` and
    /// friends), or `nil` when the extension is not in the table.
    ///
    /// - Parameters:
    ///   - path: A path with `/` separators.
    /// - Returns: The language, or `nil`.
    public static func forPath(_ path: String) -> Language? {
        // Works on UTF-8 bytes: this runs for every file on every refresh.
        let utf8 = path.utf8
        let nameStart = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
        let name = utf8[nameStart...]
        if name.count <= 14, let whole = Self.wholeNames[Substring(name)] { return whole }
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot != name.startIndex else { return nil }
        let extensionBytes = name[name.index(after: dot)...]
        guard !extensionBytes.isEmpty, extensionBytes.count <= 16 else { return nil }
        var suffix = Substring(extensionBytes)
        if extensionBytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            suffix = Substring(suffix.lowercased())
        }
        switch suffix {
        case "swift", "swiftinterface": return .swift
        case "c", "h": return .c
        case "cc", "cpp", "cxx", "hpp", "hh", "hxx", "inc", "def": return .cpp
        case "m", "mm": return .objectiveC
        case "py", "pyi": return .python
        case "sh", "bash", "zsh", "ksh": return .shell
        case "js", "mjs", "cjs", "jsx": return .javascript
        case "ts", "tsx", "mts": return .typescript
        case "rb": return .ruby
        case "go": return .go
        case "rs": return .rust
        case "java": return .java
        case "kt", "kts": return .kotlin
        case "json": return .json
        case "yml", "yaml": return .yaml
        case "toml": return .toml
        case "md", "markdown", "docc": return .markdown
        case "html", "htm": return .html
        case "css": return .css
        case "xml", "plist": return .xml
        case "cmake": return .cmake
        case "mk": return .make
        case "txt", "text": return .text
        default: return nil
        }
    }

    /// File names that say the language by themselves.
    private static let wholeNames: [Substring: Language] = [
        "Makefile": .make, "GNUmakefile": .make, "CMakeLists.txt": .cmake, "Dockerfile": .shell,
    ]

    /// The language a `#!` first line names (`#!/bin/sh`, `#!/usr/bin/env python3`), or `nil`.
    ///
    /// - Parameters:
    ///   - bytes: The start of the file.
    /// - Returns: The language, or `nil` when there is no `#!` line or it names nothing known.
    public static func forShebang(_ bytes: some Collection<UInt8>) -> Language? {
        guard bytes.starts(with: [UInt8(ascii: "#"), UInt8(ascii: "!")]) else { return nil }
        let line = bytes.dropFirst(2).prefix(200).prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ").map(String.init)
        guard var program = words.first?.split(separator: "/").last.map(String.init) else { return nil }
        if program == "env" {
            guard let next = words.dropFirst().first(where: { !$0.hasPrefix("-") }) else { return nil }
            program = next
        }
        if program.hasPrefix("python") { return .python }
        if program.hasPrefix("ruby") { return .ruby }
        if program.hasPrefix("node") { return .javascript }
        switch program {
        case "sh", "bash", "zsh", "dash", "ksh": return .shell
        case "swift": return .swift
        default: return nil
        }
    }
}
