#pragma once
// Prometheus metrics: counters, gauges and histograms in labelled families, rendered
// in the text exposition format 0.0.4. Updates are lock-free atomics; looking up a
// labelled child takes a lock, so hot paths look a child up once and keep the reference.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // ascending, +Inf implied
  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 buckets
  std::atomic<double> sum_{0};
};

// Seconds buckets for request and produce latencies, 0.5 ms .. 10 s.
std::vector<double> latency_buckets();

template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make);

  // The child for these label values (one per label name, in order); created on first use.
  // References stay valid for the registry's lifetime.
  Metric& with(const std::vector<std::string>& label_values);
  Metric& with(std::initializer_list<std::string_view> label_values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Children sorted by label values, for rendering.
  void each(const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name twice returns the first family (same type required, else throws).
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> upper_bounds);

  // Writes extra families at scrape time (process_* metrics, values computed on demand).
  // The callback appends complete "# HELP/# TYPE/sample" text for its own names.
  void add_collector(std::function<void(std::string& out)> collect);

  std::string render() const;

 private:
  struct Families;
  std::unique_ptr<Families> families_;
};

// Escapes a label value for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

// Appends a whole unlabelled family (HELP, TYPE, one sample) in the registry's own
// number format, so collectors that compute values at scrape time need no formatting
// of their own. `type` is "counter" or "gauge".
void append_scalar_family(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help, double value);

}  // namespace causeway::metrics
