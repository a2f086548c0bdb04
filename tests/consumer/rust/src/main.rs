//! The README's Rust snippet, verbatim between the markers (ctest
//! readme_snippets checks it), in a program that checks what it promises.
//!
//!   runjournal-rust-consumer JOURNAL
use runjournal::{Journal, NewRun, RunStatus};

fn example(path: &str) -> Result<bool, runjournal::Error> {
    // ---- README: Rust ----
    let journal = Journal::open(path)?;
    let run =
        journal.create_run(&NewRun { session_id: "s1".into(), prompt: "fix tests".into(), ..Default::default() })?;
    journal.append(&run.run_id, "tool_called", r#"{"tool_name": "search"}"#)?;
    journal.append(&run.run_id, "run_completed", r#"{"result_text": "done"}"#)?;
    let now = journal.run(&run.run_id)?.expect("the run"); // now.status == RunStatus::Completed
    let trail = journal.events(&run.run_id).collect::<Result<Vec<_>, _>>()?;
    // ---- end ----

    let ok = now.status == RunStatus::Completed
        && now.result_text.as_deref() == Some("done")
        && trail.len() == 3
        && trail[1].kind == "tool_called"
        && trail[1].payload == r#"{"tool_name":"search"}"#;
    println!(
        "runjournal {} (Rust, C ABI {}): run {} is {} after {} events: {}",
        runjournal::version(),
        runjournal::abi_version(),
        run.run_id,
        now.status,
        trail.len(),
        if ok { "ok" } else { "WRONG" }
    );
    Ok(ok)
}

fn main() {
    let path = match std::env::args().nth(1) {
        Some(path) => path,
        None => {
            eprintln!("usage: runjournal-rust-consumer JOURNAL");
            std::process::exit(2);
        }
    };
    let _ = std::fs::remove_file(&path);
    match example(&path) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {}", e);
            std::process::exit(1);
        }
    }
}
