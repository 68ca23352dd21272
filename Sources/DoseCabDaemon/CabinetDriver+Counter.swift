import DoseCabCore
import DoseCabStore

/// The counter reader's cards and keys, in the order they were typed, with the PIN check off the
/// actor (issue 19.7). A keypad entry that completes a PIN step is checked by `PINChecker` while
/// the actor goes on with everything else (door, bolt, tamper, beam, the return scanner, timers,
/// the control socket); the counter's later frames wait in `counterQueue` until the verdict has
/// been fed to the cabinet, so a card, its PIN and the witness's choice key are taken in turn.
extension CabinetDriver {
    /// A counter event waiting its turn; `event` nil is a marker (`counterSettled`). `done` is
    /// resumed once the event, and the PIN check it needed, has been handled.
    struct CounterInput {
        var event: CabinetEvent?
        var done: CheckedContinuation<Void, Never>?
    }

    /// A card or keys from the counter: handled now, or after what is ahead of it. After
    /// `shutdown()` began a frame is dropped; a marker still waits for a check in flight.
    func counter(_ event: CabinetEvent?, done: CheckedContinuation<Void, Never>? = nil) {
        if stopping, event != nil || !counterCheckRunning {
            done?.resume()
            return
        }
        counterQueue.append(CounterInput(event: event, done: done))
        drainCounter()
    }

    /// Handles queued counter events until one needs a PIN check, which then runs off the actor.
    /// `waited`: the events were held behind a check, and are handled at the time they are
    /// handled now (`restamped`), not when they were typed.
    func drainCounter(waited: Bool = false) {
        while !stopping, !counterCheckRunning, !counterQueue.isEmpty {
            let item = counterQueue.removeFirst()
            let event = waited ? item.event.map { Self.restamped($0, clock.now()) } : item.event
            guard case .keys(let keys, let at)? = event else {
                if let event { apply(event) }
                item.done?.resume()
                continue
            }
            // One entry at a time: the hash the next entry is checked against depends on the
            // outcome of this one.
            var rest = Cabinet.keySegments(keys)[...]
            while let segment = rest.popFirst() {
                guard let check = cabinet.pinCheck(forKeys: segment, at: at) else {
                    apply(.keys(segment, at: at))
                    continue
                }
                var done = item.done
                if !rest.isEmpty {
                    counterQueue.insert(CounterInput(event: .keys(rest.joined(), at: at), done: done), at: 0)
                    done = nil
                }
                counterCheckRunning = true
                // No request's admin record rides along into the check's task (issue 18.11).
                Store.$companion.withValue(nil) {
                    Task { [pinChecker] in
                        let verdict = await pinChecker.run(check, on: .counter)
                        self.counterChecked(segment, verdict, done: done)
                    }
                }
                return
            }
            item.done?.resume()
        }
    }

    /// The verdict is back: the cabinet takes it if its step still expects that entry against
    /// that hash (`Cabinet.checkedKeys`), then the counter's queue goes on. It is applied at the
    /// time it lands: the cabinet acts now, after whatever was handled while the hash ran, so
    /// its records follow those in time too (the PIN entry's timer ran meanwhile as well).
    /// After `shutdown()` began the verdict is dropped, and so is everything queued behind it.
    func counterChecked(_ segment: String, _ verdict: PINCheck.Verdict, done: CheckedContinuation<Void, Never>?) {
        counterCheckRunning = false
        if !stopping { apply(.checkedKeys(segment, verdict, at: clock.now())) }
        done?.resume()
        if stopping { dropCounterQueue() }
        drainCounter(waited: true)
    }

    /// A counter frame that waited behind a PIN check, at `now`.
    static func restamped(_ event: CabinetEvent, _ now: Moment) -> CabinetEvent {
        switch event {
        case .card(let card, _): .card(card, at: now)
        case .keys(let keys, _): .keys(keys, at: now)
        default: event
        }
    }

    /// At shutdown: the queued counter frames are dropped unhandled (their waiters resumed); a
    /// check in flight finishes, and its verdict is dropped too (`counterChecked`).
    func dropCounterQueue() {
        let dropped = counterQueue.filter { $0.event != nil }.count
        if dropped > 0 { logger.notice("shutting down: \(dropped) counter frame(s) not handled") }
        for item in counterQueue { item.done?.resume() }
        counterQueue.removeAll()
    }

    /// Returns once every counter event that came before has been handled, PIN checks included
    /// (the simulator's `sim.keys` and `sim.card` answer with the feedback that followed).
    public func counterSettled() async {
        guard counterCheckRunning || !counterQueue.isEmpty else { return }
        await withCheckedContinuation { counter(nil, done: $0) }
    }
}
