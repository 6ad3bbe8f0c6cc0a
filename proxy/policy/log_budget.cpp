#include "policy/log_budget.h"

namespace causeway::policy {

std::optional<std::size_t> LogBudget::take(const std::string& kind, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Window& window = windows_[kind];
  if (now - window.started >= window_) {
    const std::size_t left_out = window.left_out;
    window = Window{now, 1, 0};
    return left_out;
  }
  if (window.logged < lines_) {
    ++window.logged;
    return 0;
  }
  ++window.left_out;
  return std::nullopt;
}

std::string left_out_note(std::size_t left_out) {
  if (left_out == 0) return "";
  return " (" + std::to_string(left_out) + " more like it were left out)";
}

}  // namespace causeway::policy
