/// One way a state table differs from the state its audit chain implies (issue 18.5): the table,
/// the row's key, the field, what the chain says and what the table says. `stored` is `missing`
/// for a row the chain implies and the table does not have; `chain` is `missing` for a row the
/// table has and no record explains.
public struct StateDifference: Hashable, Sendable, CustomStringConvertible {
    public var table: String
    public var key: String
    public var field: String
    public var chain: String
    public var stored: String

    public init(table: String, key: String, field: String, chain: String, stored: String) {
        self.table = table
        self.key = key
        self.field = field
        self.chain = chain
        self.stored = stored
    }

    public var description: String {
        "\(table) \(key) \(field): the chain says \(chain), the table says \(stored)"
    }
}
