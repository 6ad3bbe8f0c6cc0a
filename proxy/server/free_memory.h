#pragma once
// Causeway runs on mimalloc, linked in, which replaces malloc for the whole process: on
// the forward path it costs less per request than glibc's (bench/NOTES.md "mimalloc,
// linked in"). It keeps free pages per thread, so a thread gives back its own.

namespace causeway::server {

// On an I/O thread (not the main one), once its load has dropped: returns the free pages
// of its heap to the system. A thread that goes on allocating gets a new heap on its next
// allocation and takes the old one's pages back as it needs them.
void give_back_thread_memory();

}  // namespace causeway::server
