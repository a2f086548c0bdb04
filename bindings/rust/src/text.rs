//! Strings across the C boundary: Rust text in as NUL-terminated copies,
//! C text out as owned Strings.
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;

use crate::error::{Error, ErrorCode, Result};

/// A NUL-terminated copy of `text`; text holding a NUL byte cannot cross
/// and is an InvalidArgument naming `what`.
pub(crate) fn to_c(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{} holds a NUL byte", what)))
}

pub(crate) fn to_c_opt(text: Option<&str>, what: &str) -> Result<Option<CString>> {
    text.map(|t| to_c(t, what)).transpose()
}

pub(crate) fn ptr_of(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(ptr::null(), |t| t.as_ptr())
}

/// The text at `p` ("" for NULL). The library hands out UTF-8 only.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn from_c(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// # Safety
/// As [`from_c`].
pub(crate) unsafe fn from_c_opt(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(from_c(p))
    }
}
