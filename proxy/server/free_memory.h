#pragma once
// Causeway runs on mimalloc, linked in, which replaces malloc for the whole process: on
// the forward path it costs less per request than glibc's (bench/NOTES.md "mimalloc,
// linked in"). It keeps free pages per thread, so a thread gives back its own.

namespace causeway::server {

// Once, at start: a page left empty goes back to the system when it empties. By default
// mimalloc 2.0 waits 25 ms and looks again only when that part of its heap is used next,
// so a burst's pages stayed resident after it (6.4 MiB of 5,000 connections' 28).
void give_back_empty_pages_at_once();

// Returns what the calling thread's heap holds free to the system, and takes in what
// other threads freed of its blocks.
void give_back_thread_memory();

}  // namespace causeway::server
