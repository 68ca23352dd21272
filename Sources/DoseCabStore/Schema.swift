import GRDB

/// The versioned schema. A migration, once released, is never edited: a change is a new one.
///
/// Every ledger row carries the `seq` of the audit record written in the same transaction, so
/// each row can be traced to its link in the chain. Indexes keep the daemon's per-patient,
/// per-day and open-unit queries independent of how much history the box holds.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        return migrator
    }

    static let v1 = """
    CREATE TABLE prescriber_key (
        key_id TEXT PRIMARY KEY NOT NULL,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        installed_wall INTEGER NOT NULL,
        installed_by TEXT NOT NULL,
        revoked_wall INTEGER,
        audit_seq INTEGER NOT NULL
    );

    -- The version in force per prescription id (a cancellation is a version too).
    CREATE TABLE prescription (
        id TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('prescription', 'cancellation')),
        patient TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES prescriber_key(key_id),
        payload BLOB NOT NULL,
        signature BLOB NOT NULL,
        imported_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX prescription_by_patient ON prescription(patient);

    -- Every version ever installed, with the exact signed bytes (the evidence).
    CREATE TABLE prescription_version (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        patient TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES prescriber_key(key_id),
        payload BLOB NOT NULL,
        signature BLOB NOT NULL,
        imported_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL,
        PRIMARY KEY (id, version)
    );

    CREATE TABLE patient (
        id TEXT PRIMARY KEY NOT NULL,
        card_format TEXT NOT NULL,
        card_facility INTEGER NOT NULL,
        card_number INTEGER NOT NULL,
        pin_salt BLOB NOT NULL,
        pin_hash BLOB NOT NULL,
        pin_rounds INTEGER NOT NULL,
        also_staff TEXT,
        enrolled_wall INTEGER NOT NULL,
        enrolled_by TEXT NOT NULL,
        audit_seq INTEGER NOT NULL,
        UNIQUE (card_format, card_facility, card_number)
    );

    CREATE TABLE staff (
        id TEXT PRIMARY KEY NOT NULL,
        role TEXT NOT NULL,
        card_format TEXT NOT NULL,
        card_facility INTEGER NOT NULL,
        card_number INTEGER NOT NULL,
        pin_salt BLOB NOT NULL,
        pin_hash BLOB NOT NULL,
        pin_rounds INTEGER NOT NULL,
        also_patient TEXT,
        enrolled_wall INTEGER NOT NULL,
        enrolled_by TEXT NOT NULL,
        audit_seq INTEGER NOT NULL,
        UNIQUE (card_format, card_facility, card_number)
    );

    CREATE TABLE stock_unit (
        serial TEXT PRIMARY KEY NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL CHECK (strength_mg > 0),
        received_wall INTEGER NOT NULL,
        received_by TEXT NOT NULL,
        witness TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('in-stock', 'issued', 'wasted')),
        state_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX stock_unit_level ON stock_unit(state, drug, route, strength_mg);

    -- A release: written as 'intent' before the lock may be energised (I1).
    CREATE TABLE dose_release (
        id TEXT PRIMARY KEY NOT NULL,
        patient TEXT NOT NULL REFERENCES patient(id),
        state TEXT NOT NULL CHECK (state IN ('intent', 'completed', 'interrupted')),
        at_wall INTEGER NOT NULL,
        at_boot INTEGER NOT NULL,
        at_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        identity_method TEXT NOT NULL,
        prescription_id TEXT NOT NULL,
        prescription_version INTEGER NOT NULL,
        prescriber TEXT NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        dose_mg INTEGER NOT NULL,
        unit_strength_mg INTEGER NOT NULL,
        unit_count INTEGER NOT NULL,
        residue_mg INTEGER NOT NULL,
        staff TEXT NOT NULL,
        witness TEXT NOT NULL,
        close_out_rule TEXT NOT NULL,
        close_out_minutes INTEGER NOT NULL,
        ended_wall INTEGER,
        ended_boot INTEGER,
        ended_boot_id TEXT,
        ended_day INTEGER,
        units_issued INTEGER,
        outcome TEXT,
        intent_seq INTEGER NOT NULL,
        end_seq INTEGER
    );
    CREATE INDEX dose_release_by_patient ON dose_release(patient, at_wall);
    CREATE INDEX dose_release_by_day ON dose_release(day);
    CREATE INDEX dose_release_by_wall ON dose_release(at_wall);
    CREATE INDEX dose_release_by_ended_day ON dose_release(ended_day);
    CREATE INDEX dose_release_in_flight ON dose_release(state) WHERE state = 'intent';

    -- A unit bound to a release by its issue scan; closed out by one state transition.
    CREATE TABLE issued_unit (
        serial TEXT PRIMARY KEY NOT NULL REFERENCES stock_unit(serial),
        release_id TEXT NOT NULL REFERENCES dose_release(id),
        patient TEXT NOT NULL,
        drug TEXT NOT NULL,
        route TEXT NOT NULL,
        strength_mg INTEGER NOT NULL,
        rule TEXT NOT NULL,
        issued_wall INTEGER NOT NULL,
        issued_boot INTEGER NOT NULL,
        issued_boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        deadline_wall INTEGER NOT NULL,
        deadline_boot INTEGER NOT NULL,
        deadline_boot_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'returned', 'consumed', 'incident')),
        closed_wall INTEGER,
        closed_boot INTEGER,
        closed_boot_id TEXT,
        closed_day INTEGER,
        closed_by TEXT,
        close_reason TEXT,
        issue_seq INTEGER NOT NULL,
        close_seq INTEGER
    );
    CREATE INDEX issued_unit_open ON issued_unit(state) WHERE state = 'open';
    CREATE INDEX issued_unit_by_day ON issued_unit(day);
    CREATE INDEX issued_unit_by_closed_day ON issued_unit(closed_day);
    CREATE INDEX issued_unit_by_release ON issued_unit(release_id);

    CREATE TABLE hold (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL,
        reason TEXT NOT NULL,
        since_wall INTEGER NOT NULL,
        since_boot INTEGER NOT NULL,
        since_boot_id TEXT NOT NULL,
        cleared_wall INTEGER,
        cleared_by TEXT,
        cleared_reason TEXT,
        hold_seq INTEGER NOT NULL,
        clear_seq INTEGER
    );
    CREATE INDEX hold_open ON hold(patient) WHERE cleared_wall IS NULL;

    -- Anomalies (scans that could not be booked) and physical alarms.
    CREATE TABLE incident (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('anomaly', 'alarm')),
        reason TEXT NOT NULL,
        serial TEXT,
        patient TEXT,
        detail TEXT NOT NULL,
        wall INTEGER NOT NULL,
        boot INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX incident_by_day ON incident(day);

    CREATE TABLE refusal (
        id INTEGER PRIMARY KEY,
        patient TEXT,
        staff TEXT,
        reasons TEXT NOT NULL,
        detail TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX refusal_by_day ON refusal(day);

    CREATE TABLE waste (
        id INTEGER PRIMARY KEY,
        release_id TEXT,
        serial TEXT,
        mg INTEGER NOT NULL,
        staff TEXT NOT NULL,
        witness TEXT NOT NULL,
        reason TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX waste_by_day ON waste(day);

    -- Observation clearances and missed-dose re-authorisations.
    CREATE TABLE clinical_decision (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reauthorised', 'observation-cleared')),
        staff TEXT NOT NULL,
        wall INTEGER NOT NULL,
        boot INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX clinical_decision_by_patient ON clinical_decision(patient, kind, wall);

    CREATE TABLE admin_action (
        id INTEGER PRIMARY KEY,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        actor TEXT NOT NULL,
        wall INTEGER NOT NULL,
        day INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );
    CREATE INDEX admin_action_by_day ON admin_action(day);

    CREATE TABLE lockdown_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        active INTEGER NOT NULL,
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        since_wall INTEGER NOT NULL,
        audit_seq INTEGER NOT NULL
    );

    -- The hash chain. `pos` (the rowid) is the stored order that verification walks; `seq` is
    -- what the chain says. A reordered row shows up as a seq out of place.
    CREATE TABLE audit (
        pos INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        wall INTEGER NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        fields TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_wall ON audit(wall);

    -- How far the journal mirror has confirmed (not a ledger fact, so not itself audited).
    CREATE TABLE audit_mirror (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        upto_seq INTEGER NOT NULL
    );
    INSERT INTO audit_mirror (id, upto_seq) VALUES (1, 0);
    """
}
