//! a3s-code-core's run lifecycle (`RunControlState`), its tests rewritten
//! against runjournal: start_run creates the session's run with the host's
//! id generator and makes it current; cancel without a cancel token does
//! nothing. Each asserts what the seed asserts, then again after reopening.
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{check_and_reopen, TempDir};
use runjournal::{Journal, NewRun, Options, RunStatus};

/// The seed's RunControlState: a session over the store, an optional
/// cancel token, and the host's id generator (HostEnv::next_id, which
/// deterministic replay pins).
struct RunControl {
    journal: Journal,
    session_id: String,
    cancel_token: Option<()>,
}

impl RunControl {
    fn new(path: &std::path::Path) -> RunControl {
        let next_id = Arc::new(AtomicU64::new(1));
        let journal = Journal::open_with(
            path,
            Options::new().id_generator(move || format!("run-{}", next_id.fetch_add(1, Ordering::SeqCst))),
        )
        .unwrap();
        RunControl { journal, session_id: "session-1".into(), cancel_token: None }
    }

    fn start_run(&self, prompt: &str) -> String {
        let run = self
            .journal
            .create_run(&NewRun { session_id: self.session_id.clone(), prompt: prompt.into(), ..Default::default() })
            .unwrap();
        run.run_id
    }

    fn cancel(&self) -> bool {
        match self.cancel_token {
            // A token: cancel the session's current run.
            Some(()) => match self.journal.current_run(&self.session_id).unwrap() {
                Some(run) => self.journal.cancel_if_live(&run.run_id, Some("cancelled by host")).unwrap(),
                None => false,
            },
            None => false,
        }
    }
}

#[test]
fn start_run_sets_current_run() {
    let dir = TempDir::new("start_run_sets_current_run");
    let control = RunControl::new(&dir.file("a3s.journal"));
    let run_id = control.start_run("hello");
    assert_eq!(run_id, "run-1"); // the host's id generator named it

    check_and_reopen(control.journal, |journal| {
        assert_eq!(journal.current_run("session-1").unwrap().unwrap().run_id, run_id);
        assert_eq!(journal.run(&run_id).unwrap().unwrap().prompt, "hello");
    });
}

#[test]
fn cancel_without_token_is_noop() {
    let dir = TempDir::new("cancel_without_token_is_noop");
    let control = RunControl::new(&dir.file("a3s.journal"));
    let run_id = control.start_run("hello");
    let before = control.journal.last_position().unwrap();

    assert!(!control.cancel());
    check_and_reopen(control.journal, |journal| {
        assert_ne!(journal.run(&run_id).unwrap().unwrap().status, RunStatus::Cancelled);
        assert_eq!(journal.last_position().unwrap(), before); // nothing was written
    });
}

#[test]
fn cancel_with_a_token_cancels_the_current_run() {
    // The other side of the seed's no-op: with a token, the current run is
    // cancelled, durably.
    let dir = TempDir::new("cancel_with_a_token_cancels_the_current_run");
    let mut control = RunControl::new(&dir.file("a3s.journal"));
    let run_id = control.start_run("hello");
    control.cancel_token = Some(());
    assert!(control.cancel());
    check_and_reopen(control.journal, |journal| {
        let run = journal.run(&run_id).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Cancelled);
        assert_eq!(run.status_reason.as_deref(), Some("cancelled by host"));
    });
}
