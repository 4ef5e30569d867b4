import Testing
@testable import StrataRules

@Suite("Go templates")
struct TemplateTests {
    @Test func placeholder() throws {
        #expect(try GoTemplate.parse("x").execute(.null) == "x")
    }
}
