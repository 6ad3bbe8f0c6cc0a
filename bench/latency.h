// What bench/run's own programs (loadgen, amqp_direct, kafka_direct) share: the clock they
// time with, the way they read their arguments and fail, and the one key=value line of
// percentiles that bench/lib/common.sh reads, so that a direct client's figures line up
// with loadgen's.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

using Nanos = std::int64_t;
constexpr Nanos kSecond = 1'000'000'000;

// The request body of every scenario: the 44 bytes of bench/post.lua.
constexpr std::string_view kBody = R"({"sku":"A1","quantity":2,"note":"benchmark"})";

inline Nanos now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // system-wide, so a stamp means the same in another process
  return Nanos(ts.tv_sec) * kSecond + ts.tv_nsec;
}

// Sleeps until `due` on the same clock as now_ns (a fixed-rate schedule does not drift).
inline void sleep_until(Nanos due) {
  timespec ts{time_t(due / kSecond), long(due % kSecond)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// User + system CPU time of this process so far: a direct client reports its own cost
// per message, as bench/run measures a server's from /proc.
inline Nanos own_cpu_ns() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ns = [](const timeval& tv) { return Nanos(tv.tv_sec) * kSecond + Nanos(tv.tv_usec) * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

// A usage or setup error: exit status 1 (2 is left for "the run saw failures").
[[noreturn]] inline void die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

// "1.5s", "250ms", "20us", "2m"; a bare number is seconds.
inline std::optional<Nanos> parse_duration(std::string_view text) {
  double value = 0;
  auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || value < 0) return std::nullopt;
  std::string_view unit(rest, text.data() + text.size() - rest);
  double scale = unit == "ms" ? 1e6 : unit == "us" ? 1e3 : unit == "m" ? 60e9 : (unit == "s" || unit.empty()) ? 1e9 : -1;
  if (scale < 0) return std::nullopt;
  return Nanos(value * scale);
}

inline std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || rest != text.data() + text.size()) return std::nullopt;
  return value;
}

inline Nanos duration_or_die(std::string_view text) {
  auto value = parse_duration(text);
  if (!value) die("not a duration: " + std::string(text));
  return *value;
}

inline double number_or_die(std::string_view text) {
  auto value = parse_number(text);
  if (!value) die("not a number: " + std::string(text));
  return *value;
}

inline std::string ms(Nanos value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", double(value) / 1e6);
  return text;
}

// p50 ... max of the samples, exact (they are all kept: a few MB even at 100k req/s for a minute).
inline std::string percentiles(std::vector<Nanos>& samples) {
  if (samples.empty()) return "p50_ms=nan";
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    auto rank = std::size_t(std::ceil(q * double(samples.size())));  // nearest rank
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
  };
  std::string out;
  for (auto [name, q] : {std::pair{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}}) {
    out += std::string(name) + "_ms=" + ms(at(q)) + " ";
  }
  return out + "max_ms=" + ms(samples.back());
}

}  // namespace bench
