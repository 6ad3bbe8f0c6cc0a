#include "server/free_memory.h"

#include <mimalloc.h>

namespace causeway::server {

void give_back_empty_pages_at_once() { mi_option_set(mi_option_decommit_delay, 0); }

void give_back_thread_memory() { mi_collect(true); }

}  // namespace causeway::server
