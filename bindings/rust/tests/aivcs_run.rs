//! aivcs-core `domain/run.rs`, its tests rewritten against runjournal: a
//! serde round trip becomes a trip through the journal file (stored, read
//! back, and read back again after the journal is closed and reopened).
//! The tagged EventKind is the event's kind; its fields, and the event's
//! own payload under "payload", are the event's payload. aivcs's Running
//! is the journal's `executing`; its graph kinds are aliases the projector
//! knows (graph_started moves a run to executing, graph_completed to
//! completed).
mod common;

use common::{check_and_reopen, TempDir};
use runjournal::{AppendOptions, Event, Journal, NewRun, Run, RunStatus, SqlValue};

/// aivcs Run::new(agent_spec_digest, git_sha, inputs): a run that starts
/// running at once.
fn new_run(journal: &Journal, spec: &str, sha: &str, inputs: &str) -> Run {
    let run = journal
        .create_run(&NewRun {
            session_id: "aivcs".into(),
            inputs: Some(inputs.into()),
            agent_spec_digest: Some(spec.into()),
            git_sha: Some(sha.into()),
            ..Default::default()
        })
        .unwrap();
    journal.append(&run.run_id, "graph_started", "{}").unwrap();
    journal.run(&run.run_id).unwrap().unwrap()
}

#[test]
fn test_run_serde_roundtrip() {
    let dir = TempDir::new("test_run_serde_roundtrip");
    let journal = Journal::open(dir.file("aivcs.journal")).unwrap();
    let run = new_run(&journal, "spec_digest_123", "git_sha_abc", r#"{"question": "What is 2+2?"}"#);
    assert_eq!(run.agent_spec_digest.as_deref(), Some("spec_digest_123"));
    assert_eq!(run.git_sha.as_deref(), Some("git_sha_abc"));
    assert_eq!(run.inputs.as_deref(), Some(r#"{"question":"What is 2+2?"}"#));

    // serialize: the run as a record line; deserialize: into another
    // journal. The run that comes back equals the one that went out.
    let mut json = Vec::new();
    journal.export(Some(&run.run_id), &mut json).unwrap();
    let other = Journal::open(dir.file("other.journal")).unwrap();
    other.import_records(&mut json.as_slice()).unwrap();
    assert_eq!(other.run(&run.run_id).unwrap().unwrap(), run);

    // And once finished (outputs, final_state_digest, finished_at), through
    // the file: what was read before closing is what reads after reopening.
    journal
        .append(&run.run_id, "graph_completed", r#"{"outputs": {"answer": 4}, "final_state_digest": "sha256:ab12"}"#)
        .unwrap();
    let finished = journal.run(&run.run_id).unwrap().unwrap();
    assert_eq!(finished.final_state_digest.as_deref(), Some("sha256:ab12"));
    assert_eq!(finished.outputs.as_deref(), Some(r#"{"answer":4}"#));
    assert!(finished.finished_at_ms.is_some());
    check_and_reopen(journal, |journal| {
        assert_eq!(journal.run(&finished.run_id).unwrap().unwrap(), finished);
    });
    check_and_reopen(other, |other| {
        assert_eq!(other.run(&run.run_id).unwrap().unwrap(), run);
    });
}

#[test]
fn test_run_new_defaults() {
    let dir = TempDir::new("test_run_new_defaults");
    let journal = Journal::open(dir.file("aivcs.journal")).unwrap();
    let inputs = r#"{"test":"data"}"#;
    let run = new_run(&journal, "spec_digest", "git_sha", inputs);
    check_and_reopen(journal, |journal| {
        let run = journal.run(&run.run_id).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Executing); // RunStatus::Running
        assert!(run.finished_at_ms.is_none());
        assert!(run.outputs.is_none());
        assert!(run.final_state_digest.is_none());
        assert_eq!(run.inputs.as_deref(), Some(inputs));
        assert_eq!(run.agent_spec_digest.as_deref(), Some("spec_digest"));
        assert_eq!(run.git_sha.as_deref(), Some("git_sha"));
    });
}

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
