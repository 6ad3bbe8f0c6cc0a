#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.h"

namespace causeway::metrics {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (!text) return std::nullopt;
  return text.str();
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The fields of /proc/self/stat, numbered as in proc(5) (pid is field 1).
class ProcStat {
 public:
  explicit ProcStat(std::string_view text) {
    // comm (field 2) may contain spaces and ')', so counting starts after the last ')'.
    const auto comm_end = text.rfind(')');
    if (comm_end == std::string_view::npos) return;
    std::string_view rest = text;
    rest.remove_prefix(comm_end + 1);
    while (!rest.empty()) {
      const auto start = rest.find_first_not_of(" \n");
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const auto length = std::min(rest.find_first_of(" \n"), rest.size());
      fields_.emplace_back(rest.substr(0, length));
      rest.remove_prefix(length);
    }
  }

  std::optional<std::uint64_t> field(std::size_t number) const {
    const std::size_t index = number - 3;  // fields_ starts at field 3, the state
    if (index >= fields_.size()) return std::nullopt;
    return parse_number(fields_[index]);
  }

 private:
  std::vector<std::string> fields_;
};

// Seconds since the epoch at boot, the "btime" line of /proc/stat.
std::optional<std::uint64_t> boot_time() {
  const auto text = read_file("/proc/stat");
  if (!text) return std::nullopt;
  const std::string_view key = "btime ";
  std::size_t line = 0;
  while (line < text->size()) {
    const std::size_t end = std::min(text->find('\n', line), text->size());
    const std::string_view current = std::string_view(*text).substr(line, end - line);
    if (current.starts_with(key)) return parse_number(current.substr(key.size()));
    line = end + 1;
  }
  return std::nullopt;
}

std::optional<double> open_fds() {
  std::error_code error;
  std::filesystem::directory_iterator entry("/proc/self/fd", error);
  if (error) return std::nullopt;
  double count = 0;
  for (; entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  if (error) return std::nullopt;
  return count;
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return limit.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(limit.rlim_cur);
}

void collect_from_stat(std::string& out, const ProcStat& stat, double ticks_per_second) {
  const auto user = stat.field(14);
  const auto system = stat.field(15);
  if (user && system && ticks_per_second > 0) {
    append_scalar_family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                         static_cast<double>(*user + *system) / ticks_per_second);
  }
  const auto resident_pages = stat.field(24);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (resident_pages && page_size > 0) {
    append_scalar_family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                         static_cast<double>(*resident_pages) * static_cast<double>(page_size));
  }
  if (const auto virtual_bytes = stat.field(23)) {
    append_scalar_family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                         static_cast<double>(*virtual_bytes));
  }
}

void collect(std::string& out) {
  const long ticks = sysconf(_SC_CLK_TCK);
  const double ticks_per_second = ticks > 0 ? static_cast<double>(ticks) : 0;
  const auto stat_text = read_file("/proc/self/stat");
  const ProcStat stat(stat_text.value_or(""));

  collect_from_stat(out, stat, ticks_per_second);
  if (const auto fds = open_fds()) {
    append_scalar_family(out, "process_open_fds", "gauge", "Number of open file descriptors.", *fds);
  }
  if (const auto limit = max_fds()) {
    append_scalar_family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", *limit);
  }
  const auto start_ticks = stat.field(22);
  const auto booted = boot_time();
  if (start_ticks && booted && ticks_per_second > 0) {
    append_scalar_family(out, "process_start_time_seconds", "gauge",
                         "Start time of the process since unix epoch in seconds.",
                         static_cast<double>(*booted) + static_cast<double>(*start_ticks) / ticks_per_second);
  }
  if (const auto threads = stat.field(20)) {
    append_scalar_family(out, "process_threads", "gauge", "Number of OS threads in the process.",
                         static_cast<double>(*threads));
  }
}

}  // namespace

void register_process_metrics(Registry& registry) { registry.add_collector(collect); }

}  // namespace causeway::metrics
