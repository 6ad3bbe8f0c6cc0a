#pragma once
// How many lines of one kind the log gets: at most `lines` per `window`, then silence
// until the window ends, and the first line after it says how many were left out. A
// storm of failures (a service down under load) cannot flood the log this way, while a
// person still sees each kind of event as it starts.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace causeway::policy {

class LogBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogBudget(std::size_t lines = 10, std::chrono::milliseconds window = std::chrono::seconds(10))
      : lines_(lines), window_(window) {}

  // nullopt: leave this line out. Else log it, with the number left out before it
  // (0 when none) for a "(N more like it were left out)" note.
  std::optional<std::size_t> take(const std::string& kind, Clock::time_point now);

 private:
  struct Window {
    Clock::time_point started{};
    std::size_t logged = 0;
    std::size_t left_out = 0;
  };
  std::size_t lines_;
  std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

// " (N more like it were left out)" for N > 0, else "".
std::string left_out_note(std::size_t left_out);

}  // namespace causeway::policy
