// served_journal.hpp — how the server opens the journal it shows.
//
// One Journal serves every request and stream: Journal is thread-safe, its
// reads are short, and follow() holds no lock while it waits. Only the
// public runjournal::Journal API is used, so the server serves any journal
// the library can open.
//
// Why one and not a pool of them: a second Journal::open in a process that
// already has the file open reads the file's header through a separate file
// descriptor, and closing that descriptor drops every POSIX lock the
// process holds on the file (SQLite's "How To Corrupt", 2.2). Another
// process closing its last connection would then take itself for the last
// one and delete the WAL this server still reads from: commits made after
// that never reach it. serve_test's stream tests fail that way with several
// Journals.
#pragma once

#include <filesystem>

#include <runjournal/journal.hpp>

namespace runjournal::serve {

// Opens the journal for serving, read-only (Options::read_only): it must
// exist, and nothing is ever written to it. Throws what Journal::open throws
// (NotFound for a missing or empty file).
Journal open_served_journal(const std::filesystem::path& path);

}  // namespace runjournal::serve
