import AssistCore
import Testing

@Suite("Symbol matching")
struct SymbolMatcherTests {
    @Test func rankingOrder() {
        let names = ["ByteBufferAllocator", "ByteBuffer", "byteBuffer", "readBytes", "MutableByteBuffer", "BB", "bufferByte", "Unrelated"]
        let ranked = SymbolMatcher.rank(query: "ByteBuffer", names.map { ($0, $0) }, limit: 10)
        #expect(ranked == ["ByteBuffer", "byteBuffer", "ByteBufferAllocator", "MutableByteBuffer"])
    }

    @Test func camelCaseInitials() {
        let ranked = SymbolMatcher.rank(query: "bba", ["ByteBufferAllocator", "abba", "Bob", "b_b_a"].map { ($0, $0) }, limit: 10)
        #expect(ranked.first == "ByteBufferAllocator" || ranked.first == "b_b_a")
        #expect(ranked.contains("abba"))
        #expect(!ranked.contains("Bob"))
    }

    @Test func caseInsensitiveButCaseBreaksTies() {
        #expect(SymbolMatcher.score(query: "Channel", candidate: "Channel")! > SymbolMatcher.score(query: "Channel", candidate: "channel")!)
        #expect(SymbolMatcher.score(query: "chan", candidate: "ChannelHandler") != nil)
        #expect(SymbolMatcher.score(query: "xyz", candidate: "ChannelHandler") == nil)
    }

    @Test func emptyQueryMatchesEverythingAndLimitHolds() {
        let names = (0..<50).map { "name\($0)" }
        #expect(SymbolMatcher.rank(query: "", names.map { ($0, $0) }, limit: 10).count == 10)
    }
}
