#include "server/free_memory.h"

#include <mimalloc.h>

namespace causeway::server {

// mimalloc 2.0 gives an emptied span back 25 ms after it emptied, but looks at that delay
// again only when the thread next takes a page from the same segment: after a burst that
// may be never, and a forced mi_collect does not do it (6.4 MiB of 5,000 connections' 28
// stayed). A segment its thread lets go of is decommitted at once with the option on.
// A zero delay instead cost a page fault per request at 256 connections (bench/NOTES.md).
void give_back_thread_memory() {
  mi_option_enable(mi_option_abandoned_page_decommit);
  mi_collect(true);
  mi_thread_done();
}

}  // namespace causeway::server
