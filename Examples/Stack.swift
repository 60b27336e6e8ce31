// A sample for `assist docstring`: a small type with undocumented public API.
// Try: assist docstring Examples/Stack.swift --all

public struct Stack<Element> {
    private var items: [Element] = []

    public init() {}

    public var count: Int { items.count }

    public mutating func push(_ item: Element) {
        items.append(item)
    }

    public mutating func pop() throws -> Element {
        guard let last = items.popLast() else { throw StackError.empty }
        return last
    }

    public func peek(at depth: Int) -> Element? {
        depth < items.count ? items[items.count - 1 - depth] : nil
    }
}

public enum StackError: Error {
    case empty
}
