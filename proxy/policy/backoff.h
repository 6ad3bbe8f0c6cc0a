#pragma once
// The one backoff every retrier uses (delivery, forward, callbacks): exponential with
// jitter, so that callers failing together do not come back together. Pure.

#include <chrono>

namespace causeway::policy {

// Before the retry after `failures` failed attempts: between half and all of
// base * 2^(failures-1), at most `cap`. `random` is uniform in [0, 1).
std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, int failures,
                                           double random);

// A uniform number in [0, 1) from a generator of this thread's own.
double unit_random();

}  // namespace causeway::policy
