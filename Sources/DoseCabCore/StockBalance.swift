/// The stock balance of one kind (issue #11):
/// loaded = in cabinet + issued − returned to stock + wasted + resolved as loss, at every instant.
public struct StockBalance: Hashable, Sendable, Codable {
    public var loaded = 0
    public var inCabinet = 0
    public var issued = 0
    /// Issued units put back into stock. No event does this yet, so it stays 0; it is kept so
    /// the balance is the pharmacist's formula as written.
    public var returnedToStock = 0
    public var wasted = 0
    public var lost = 0

    public init() {}

    public init(loaded: Int, inCabinet: Int, issued: Int, returnedToStock: Int, wasted: Int, lost: Int) {
        self.loaded = loaded
        self.inCabinet = inCabinet
        self.issued = issued
        self.returnedToStock = returnedToStock
        self.wasted = wasted
        self.lost = lost
    }

    public var balances: Bool { loaded == inCabinet + issued - returnedToStock + wasted + lost }
}
