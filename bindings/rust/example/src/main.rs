//! The seed systems' pattern end to end, on a journal instead of an
//! in-memory store: an agent host with one runner per session (bamboo's
//! reservation), runs that record their steps and checkpoints (a3s's run
//! store), a cancel that touches only the session's current run (a3s's
//! RunHandle), and a crash: a worker process killed with SIGKILL mid-run,
//! whose run the host finds on restart (recover), resumes from its last
//! checkpoint and completes. It checks each outcome and exits 1 if one is
//! wrong.
//!
//!   runjournal-agent-example DIR            (the journal goes in DIR)
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use runjournal::{ExecutionResult, Journal, NewRun, RunStatus};

/// One agent turn loop: a step, a tool call, a checkpoint per step.
fn work(journal: &Journal, run_id: &str, steps: std::ops::RangeInclusive<u32>) -> runjournal::Result<()> {
    for step in steps {
        journal.append(run_id, "step_started", &format!(r#"{{"step": {}}}"#, step))?;
        journal.append(run_id, "tool_called", r#"{"tool_name": "search", "args": {"q": "flaky test"}}"#)?;
        journal.save_checkpoint(run_id, &format!("cp-{}", step), &format!(r#"{{"step": {}}}"#, step))?;
    }
    Ok(())
}

fn reserve(journal: &Journal, session: &str, prompt: &str) -> runjournal::Result<String> {
    let run = journal.reserve(&NewRun { session_id: session.into(), prompt: prompt.into(), ..Default::default() })?;
    journal.append(&run.run_id, "run_started", "{}")?;
    Ok(run.run_id)
}

/// The worker the host starts for session "s-crash": it works up to step 2,
/// says so, and keeps working until it is killed.
fn worker(path: &str) -> runjournal::Result<()> {
    let journal = Journal::open(path)?;
    let run_id = reserve(&journal, "s-crash", "long refactor")?;
    work(&journal, &run_id, 1..=2)?;
    println!("{}", run_id);
    loop {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn host(dir: &str) -> runjournal::Result<bool> {
    std::fs::create_dir_all(dir).expect("create the directory");
    let path = format!("{}/agent.journal", dir);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{}", path, suffix));
    }
    let journal = Arc::new(Journal::open(&path)?);
    let mut ok = true;
    let mut check = |what: &str, good: bool| {
        println!("{} {}", if good { "ok  " } else { "FAIL" }, what);
        ok &= good;
    };

    // 1. A run that completes; a second reservation for its session waits
    //    for it (one runner per session).
    let first = reserve(&journal, "s1", "fix the flaky test")?;
    let busy = journal.reserve(&NewRun { session_id: "s1".into(), ..Default::default() });
    check("a session's second runner is refused while the first runs", busy.is_err());
    work(&journal, &first, 1..=3)?;
    let done = journal.finish(&first, &ExecutionResult::Ok { result_text: Some("fixed".into()), outputs: None })?;
    check("the first run completed with its result", done.status == RunStatus::Completed);
    check("a finished run holds no checkpoint", done.checkpoint_id.is_none());

    // 2. A run cancelled from another thread, as a host's cancel button;
    //    cancelling a run that is not current does nothing.
    let second = reserve(&journal, "s1", "write the docs")?;
    let canceller = {
        let journal = Arc::clone(&journal);
        std::thread::spawn(move || {
            journal.cancel_if_live(&first, None).and_then(|stale| {
                let current = journal.current_run("s1")?.expect("a current run");
                Ok((stale, journal.cancel_if_live(&current.run_id, Some("cancelled by host"))?))
            })
        })
    };
    let (stale, cancelled) = canceller.join().expect("the canceller thread")?;
    check("cancelling a finished run does nothing", !stale);
    check("the current run was cancelled", cancelled);
    let late = journal.append(&second, "tool_called", r#"{"tool_name": "late"}"#)?;
    let second_run = journal.run(&second)?.expect("the second run");
    check(
        "a late event is recorded but the run stays cancelled",
        second_run.status == RunStatus::Cancelled && second_run.last_seq == late.seq,
    );

    // 3. A worker process killed mid-run; the host recovers its run.
    let mut child = Command::new(std::env::current_exe().expect("this program"))
        .args(["--worker", &path])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the worker");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its stdout")).read_line(&mut line).expect("read the worker");
    let crashed = line.trim().to_string();
    child.kill().expect("SIGKILL the worker");
    child.wait().expect("reap the worker");

    let restarted = Journal::open(&path)?;
    let found = restarted.recover(false)?;
    check("recover() lists exactly the killed worker's run", found.len() == 1 && found[0].run.run_id == crashed);
    let checkpoint = found.get(0).and_then(|r| r.checkpoint.clone());
    check("with its last checkpoint", checkpoint.as_ref().map(|c| c.checkpoint_id.as_str()) == Some("cp-2"));
    restarted.resume_run(&crashed, r#"{"from_checkpoint": "cp-2"}"#, &Default::default())?;
    work(&restarted, &crashed, 3..=4)?;
    let resumed =
        restarted.finish(&crashed, &ExecutionResult::Ok { result_text: Some("refactored".into()), outputs: None })?;
    check("the resumed run completed", resumed.status == RunStatus::Completed);
    check("nothing is left to recover", restarted.recover(true)?.is_empty());
    check("the journal verifies", restarted.verify()?.ok());

    let summary = restarted.sql("SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status")?;
    for row in &summary.rows {
        println!("     {:?}", row);
    }
    Ok(ok)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.as_slice() {
        [_, flag, path] if flag == "--worker" => worker(path).map(|_| true),
        [_, dir] => host(dir),
        _ => {
            eprintln!("usage: runjournal-agent-example DIR");
            std::process::exit(2);
        }
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {}", e);
            std::process::exit(1);
        }
    }
}
