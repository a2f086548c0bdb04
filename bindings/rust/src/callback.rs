//! Closures as C callbacks. A closure runs inside the C call that invokes
//! it; a panic is caught at the boundary (it must not unwind through C),
//! kept, the call is told to stop, and the panic resumes once the C call
//! has returned.
use std::any::Any;
use std::io::{Read, Write};
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorCode, Result};
use crate::ffi;
use crate::types::Event;

/// What a callback may leave behind for after the call.
#[derive(Default)]
pub(crate) struct Trouble {
    panic: Option<Box<dyn Any + Send>>,
    io: Option<std::io::Error>,
}

impl Trouble {
    /// Runs `f`, keeping a panic; None when it panicked (or one did before).
    pub(crate) fn run<T>(&mut self, f: impl FnOnce() -> T) -> Option<T> {
        if self.panic.is_some() {
            return None;
        }
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => Some(value),
            Err(panic) => {
                self.panic = Some(panic);
                None
            }
        }
    }

    /// After the C call: resumes a kept panic, turns a kept I/O error into
    /// Error(Io), else passes the call's own result through.
    pub(crate) fn finish<T>(self, result: Result<T>) -> Result<T> {
        if let Some(panic) = self.panic {
            resume_unwind(panic);
        }
        if let Some(io) = self.io {
            return Err(Error::new(ErrorCode::Io, io.to_string()));
        }
        result
    }
}

// ---- visitors: scan / follow ----

pub(crate) struct Visit<'a> {
    pub(crate) visit: &'a mut dyn FnMut(&Event) -> bool,
    pub(crate) keep_going: Option<&'a mut dyn FnMut() -> bool>,
    pub(crate) trouble: Trouble,
}

pub(crate) extern "C" fn visit_trampoline(user: *mut c_void, event: *const ffi::rj_event) -> c_int {
    // SAFETY: `user` is the Visit the caller passed, alive for the call;
    // `event` is borrowed for this callback.
    let ctx = unsafe { &mut *(user as *mut Visit) };
    let visit = &mut ctx.visit;
    match ctx.trouble.run(|| visit(&unsafe { Event::from_raw(event) })) {
        Some(true) => 0,
        _ => 1,
    }
}

pub(crate) extern "C" fn poll_trampoline(user: *mut c_void) -> c_int {
    let ctx = unsafe { &mut *(user as *mut Visit) };
    let keep_going = match ctx.keep_going.as_mut() {
        Some(k) => k,
        None => return 0,
    };
    match ctx.trouble.run(|| keep_going()) {
        Some(true) => 0,
        _ => 1,
    }
}

// ---- progress ----

pub(crate) struct Progress<'a> {
    pub(crate) progress: Option<&'a mut dyn FnMut(i64, i64)>,
    pub(crate) trouble: Trouble,
}

pub(crate) extern "C" fn progress_trampoline(user: *mut c_void, done: i64, total: i64) {
    let ctx = unsafe { &mut *(user as *mut Progress) };
    if let Some(progress) = ctx.progress.as_mut() {
        // A panic is kept for later; progress cannot stop the call.
        ctx.trouble.run(|| progress(done, total));
    }
}

pub(crate) fn progress_fn(ctx: &Progress) -> Option<ffi::rj_progress_fn> {
    if ctx.progress.is_some() {
        Some(progress_trampoline)
    } else {
        None
    }
}

// ---- export: lines to a Write; import: bytes from a Read ----

pub(crate) struct Export<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) progress: Progress<'a>,
}

pub(crate) extern "C" fn line_trampoline(user: *mut c_void, line: *const c_char, length: usize) -> c_int {
    let ctx = unsafe { &mut *(user as *mut Export) };
    let bytes = unsafe { std::slice::from_raw_parts(line as *const u8, length) };
    let out = &mut ctx.out;
    match ctx.progress.trouble.run(|| out.write_all(bytes).and_then(|_| out.write_all(b"\n"))) {
        Some(Ok(())) => 0,
        Some(Err(e)) => {
            ctx.progress.trouble.io = Some(e);
            1
        }
        None => 1,
    }
}

pub(crate) extern "C" fn export_progress_trampoline(user: *mut c_void, done: i64, total: i64) {
    let ctx = unsafe { &mut *(user as *mut Export) };
    progress_trampoline(&mut ctx.progress as *mut Progress as *mut c_void, done, total);
}

pub(crate) struct Import<'a> {
    pub(crate) input: &'a mut dyn Read,
    pub(crate) progress: Progress<'a>,
}

pub(crate) extern "C" fn read_trampoline(user: *mut c_void, buffer: *mut c_char, capacity: usize) -> isize {
    let ctx = unsafe { &mut *(user as *mut Import) };
    let buffer = unsafe { std::slice::from_raw_parts_mut(buffer as *mut u8, capacity) };
    let input = &mut ctx.input;
    let read = ctx.progress.trouble.run(|| loop {
        match input.read(buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    });
    match read {
        Some(Ok(n)) => n as isize,
        Some(Err(e)) => {
            ctx.progress.trouble.io = Some(e);
            -1
        }
        None => -1,
    }
}

pub(crate) extern "C" fn import_progress_trampoline(user: *mut c_void, done: i64, total: i64) {
    let ctx = unsafe { &mut *(user as *mut Import) };
    progress_trampoline(&mut ctx.progress as *mut Progress as *mut c_void, done, total);
}
