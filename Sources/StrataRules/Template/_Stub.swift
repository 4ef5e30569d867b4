/// Interim: templates pass through unexpanded until the Go text/template engine lands (next commits).
package struct TemplateError: Error, Sendable, CustomStringConvertible {
    package var line: Int
    package var column: Int
    package var message: String
    package var description: String { "\(line):\(column): \(message)" }
}
package struct TemplateSample: Sendable {
    package var labels: [String: String]
    package var value: Double
    package init(labels: [String: String], value: Double) { self.labels = labels; self.value = value }
}
package enum RuleTemplate {
    package static func expand(_ text: String, labels: [String: String], externalLabels: [String: String], externalURL: String, value: Double, query: (@Sendable (String) throws -> [TemplateSample])?) throws(TemplateError) -> String { text }
    package static func check(_ text: String) throws(TemplateError) {}
}
