#include "policy/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace causeway::policy {

std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, int failures,
                                           double random) {
  const double grown = static_cast<double>(base.count()) * std::pow(2.0, std::clamp(failures - 1, 0, 30));
  const double capped = std::min(grown, static_cast<double>(cap.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped / 2 + capped / 2 * random));
}

double unit_random() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<>(0, 1)(generator);
}

}  // namespace causeway::policy
