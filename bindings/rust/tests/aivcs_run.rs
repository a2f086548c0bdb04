//! aivcs-core `domain/run.rs`, its tests rewritten against runjournal: a
//! serde round trip becomes a trip through the journal file (stored, read
//! back, and read back again after the journal is closed and reopened).
//! The tagged EventKind is the event's kind; its fields, and the event's
//! own payload under "payload", are the event's payload.
mod common;

use common::{check_and_reopen, TempDir};
use runjournal::{AppendOptions, Event, Journal, NewRun, RunStatus, SqlValue};

/// aivcs RunStatus and the journal status each is stored as.
const STATUSES: [(&str, RunStatus, &str); 4] = [
    ("RUNNING", RunStatus::Executing, "executing"),
    ("COMPLETED", RunStatus::Completed, "completed"),
    ("FAILED", RunStatus::Failed, "failed"),
    ("CANCELLED", RunStatus::Cancelled, "cancelled"),
];

#[test]
fn test_run_status_serde() {
    let dir = TempDir::new("test_run_status_serde");
    let journal = Journal::open(dir.file("aivcs.journal")).unwrap();
    for (aivcs, status, stored) in STATUSES.iter() {
        // serialize / deserialize: the stored name and back.
        assert_eq!(status.as_str(), *stored);
        assert_eq!(stored.parse::<RunStatus>().unwrap(), *status);
        // The seed's upper-case spelling is not a journal status: refused,
        // never taken for some default.
        assert!(aivcs.parse::<RunStatus>().is_err());
        let run = journal
            .create_run(&NewRun { session_id: "aivcs".into(), run_id: Some(aivcs.to_string()), ..Default::default() })
            .unwrap();
        journal.append(&run.run_id, "graph_started", "{}").unwrap();
        match status {
            RunStatus::Completed => journal.append(&run.run_id, "graph_completed", r#"{"iterations":3}"#).map(drop),
            RunStatus::Failed => journal.append(&run.run_id, "graph_failed", r#"{"error":"boom"}"#).map(drop),
            RunStatus::Cancelled => journal.append(&run.run_id, "run_cancelled", "{}").map(drop),
            _ => Ok(()),
        }
        .unwrap();
    }
    check_and_reopen(journal, |journal| {
        for (aivcs, status, stored) in STATUSES.iter() {
            assert_eq!(journal.run(aivcs).unwrap().unwrap().status, *status);
            let sql = journal.sql(&format!("SELECT status FROM runs WHERE run_id = '{}'", aivcs)).unwrap();
            assert_eq!(sql.rows, vec![vec![SqlValue::Text(stored.to_string())]]);
        }
    });
}

/// Stores one aivcs event as the run's event number `seq` (the journal's
/// seq `seq + 1`: its seq 1 is the run's creation) and checks the round
/// trip: what append returned is what the journal reads back, now and
/// after reopening.
fn event_round_trip(name: &str, seq: i64, kind: &str, payload: &str, stored_payload: &str) -> Event {
    let dir = TempDir::new(name);
    let journal = Journal::open(dir.file("aivcs.journal")).unwrap();
    let run = journal.create_run(&NewRun { session_id: "aivcs".into(), ..Default::default() }).unwrap();
    for _ in 1..seq {
        journal.append(&run.run_id, "message_added", r#"{"role":"user","content_length":1}"#).unwrap();
    }
    let event = journal
        .append_with(&run.run_id, kind, payload, &AppendOptions { expected_seq: Some(seq), ..Default::default() })
        .unwrap();
    assert_eq!(event.seq, seq + 1);
    assert_eq!(event.kind, kind);
    assert_eq!(event.payload, stored_payload);
    let returned = event.clone();
    check_and_reopen(journal, |journal| {
        let read: Vec<Event> = journal.events_page(&run.run_id, seq + 1, 1).unwrap();
        assert_eq!(read, vec![returned.clone()]);
    });
    event
}

#[test]
fn test_event_serde_roundtrip_graph_started() {
    event_round_trip("graph_started", 1, "graph_started", r#"{"payload": {}}"#, r#"{"payload":{}}"#);
}

#[test]
fn test_event_serde_roundtrip_node_entered() {
    event_round_trip(
        "node_entered",
        1,
        "node_entered",
        r#"{"node_id": "node_42", "iteration": 1, "payload": {"entry_time_ms": 100}}"#,
        r#"{"iteration":1,"node_id":"node_42","payload":{"entry_time_ms":100}}"#,
    );
}

#[test]
fn test_event_serde_roundtrip_tool_called() {
    event_round_trip(
        "tool_called",
        5,
        "tool_called",
        r#"{"tool_name": "search", "payload": {"query": "llm models"}}"#,
        r#"{"payload":{"query":"llm models"},"tool_name":"search"}"#,
    );
}

#[test]
fn test_event_serde_roundtrip_checkpoint() {
    let event = event_round_trip(
        "checkpoint",
        10,
        "checkpoint_saved",
        r#"{"checkpoint_id": "cp123", "node_id": "node_x", "payload": {"phase": 1, "duration_ms": 5000}}"#,
        r#"{"checkpoint_id":"cp123","node_id":"node_x","payload":{"duration_ms":5000,"phase":1}}"#,
    );
    assert_eq!(event.seq, 11);
}
