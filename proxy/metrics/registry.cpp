#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace causeway::metrics {
namespace {

// Bounds must be finite and strictly ascending; a trailing +Inf is accepted and dropped
// because the +Inf bucket is always there.
std::vector<double> checked_bounds(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == INFINITY) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) throw std::invalid_argument("histogram bound must be finite");
    if (i > 0 && bounds[i] <= bounds[i - 1]) {
      throw std::invalid_argument("histogram bounds must be strictly ascending");
    }
  }
  return bounds;
}

std::string format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Spelled like client_golang (Go's shortest %g): plain decimals ("0.0005", "10",
  // "123456789") for ordinary magnitudes, exponents only for the tiny and the huge.
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21);
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value,
                                    plain ? std::chars_format::fixed : std::chars_format::scientific);
  return std::string(text, result.ptr);
}

std::string escape_text(std::string_view text, bool escape_quotes) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else if (c == '"' && escape_quotes) {
      escaped += "\\\"";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

bool is_letter_or_underscore(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Metric names may also hold ':' (reserved for recording rules); label names may not.
bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_letter_or_underscore(c) || (allow_colon && c == ':') || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

void check_names(const std::string& name, const std::vector<std::string>& labels) {
  if (!is_valid_name(name, true)) throw std::invalid_argument("invalid metric name: " + name);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!is_valid_name(labels[i], false)) throw std::invalid_argument("invalid label name: " + labels[i]);
    if (std::find(labels.begin(), labels.begin() + i, labels[i]) != labels.begin() + i) {
      throw std::invalid_argument("duplicate label name: " + labels[i]);
    }
  }
}

// `a="x",b="y"` for one child; empty when the family has no labels.
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += ',';
    text += names[i];
    text += "=\"";
    text += escape_label_value(values[i]);
    text += '"';
  }
  return text;
}

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += escape_text(help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void render_family(std::string& out, const Family<Counter>& family) {
  append_header(out, family.name(), "counter", family.help());
  family.each([&](const std::vector<std::string>& values, const Counter& counter) {
    append_sample(out, family.name(), label_text(family.label_names(), values), std::to_string(counter.value()));
  });
}

void render_family(std::string& out, const Family<Gauge>& family) {
  append_header(out, family.name(), "gauge", family.help());
  family.each([&](const std::vector<std::string>& values, const Gauge& gauge) {
    append_sample(out, family.name(), label_text(family.label_names(), values), format_double(gauge.value()));
  });
}

void render_family(std::string& out, const Family<Histogram>& family) {
  append_header(out, family.name(), "histogram", family.help());
  const std::string bucket_name = family.name() + "_bucket";
  family.each([&](const std::vector<std::string>& values, const Histogram& histogram) {
    const std::string labels = label_text(family.label_names(), values);
    const std::string le_prefix = labels.empty() ? "le=\"" : labels + ",le=\"";
    const Histogram::Snapshot snapshot = histogram.snapshot();
    for (std::size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
      const bool finite = i < snapshot.upper_bounds.size();
      const std::string bound = finite ? format_double(snapshot.upper_bounds[i]) : "+Inf";
      append_sample(out, bucket_name, le_prefix + bound + '"', std::to_string(snapshot.cumulative_counts[i]));
    }
    append_sample(out, family.name() + "_sum", labels, format_double(snapshot.sum));
    append_sample(out, family.name() + "_count", labels, std::to_string(snapshot.count));
  });
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape_text(value, true); }

void append_scalar_family(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help, double value) {
  append_header(out, name, type, help);
  append_sample(out, name, {}, format_double(value));
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(checked_bounds(std::move(upper_bounds))),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  // lower_bound gives the first bound >= value, i.e. the "le" bucket. NaN compares
  // false with everything, so it is sent to +Inf explicitly.
  const std::size_t bucket = std::isnan(value)
                                 ? bounds_.size()
                                 : std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = bounds_;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  // _count is the +Inf bucket by definition, so the two always agree in the output.
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::function<std::unique_ptr<Metric>()> make)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), make_(std::move(make)) {
  // An unlabelled family always has its one sample, showing 0 until first updated.
  if (label_names_.empty()) children_.emplace(std::vector<std::string>{}, make_());
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + ": expected " + std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(label_values.size()));
  }
  std::lock_guard lock(mutex_);
  auto child = children_.find(label_values);
  if (child == children_.end()) child = children_.emplace(label_values, make_()).first;
  return *child->second;
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> label_values) {
  return with(std::vector<std::string>(label_values.begin(), label_values.end()));
}

template <class Metric>
void Family<Metric>::each(const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : children_) visit(values, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Families {
  using Entry = std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
                             std::unique_ptr<Family<Histogram>>>;

  mutable std::mutex mutex;
  std::vector<Entry> entries;  // registration order is render order
  std::vector<std::function<void(std::string&)>> collectors;

  template <class Metric>
  Family<Metric>& find_or_add(std::string name, std::string help, std::vector<std::string> labels,
                              std::function<std::unique_ptr<Metric>()> make) {
    std::lock_guard lock(mutex);
    for (auto& entry : entries) {
      const std::string& existing = std::visit([](const auto& family) -> const std::string& { return family->name(); }, entry);
      if (existing != name) continue;
      auto* same_type = std::get_if<std::unique_ptr<Family<Metric>>>(&entry);
      if (same_type == nullptr) throw std::invalid_argument(name + " is already registered with another type");
      // Other labels would make every with() on the returned family throw; fail here instead.
      if ((*same_type)->label_names() != labels) {
        throw std::invalid_argument(name + " is already registered with other label names");
      }
      return **same_type;
    }
    auto family = std::make_unique<Family<Metric>>(std::move(name), std::move(help), std::move(labels), std::move(make));
    Family<Metric>& added = *family;
    entries.emplace_back(std::move(family));
    return added;
  }
};

Registry::Registry() : families_(std::make_unique<Families>()) {}
Registry::~Registry() = default;

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
  check_names(name, labels);
  return families_->find_or_add<Counter>(std::move(name), std::move(help), std::move(labels),
                                         [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  check_names(name, labels);
  return families_->find_or_add<Gauge>(std::move(name), std::move(help), std::move(labels),
                                       [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> upper_bounds) {
  check_names(name, labels);
  if (std::find(labels.begin(), labels.end(), "le") != labels.end()) {
    throw std::invalid_argument(name + ": label \"le\" is reserved for histogram buckets");
  }
  // Validated now so a bad config fails at registration, not at the first labelled sample.
  auto bounds = checked_bounds(std::move(upper_bounds));
  return families_->find_or_add<Histogram>(std::move(name), std::move(help), std::move(labels),
                                           [bounds] { return std::make_unique<Histogram>(bounds); });
}

void Registry::add_collector(std::function<void(std::string& out)> collect) {
  std::lock_guard lock(families_->mutex);
  families_->collectors.push_back(std::move(collect));
}

std::string Registry::render() const {
  std::string out;
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(families_->mutex);
    for (const auto& entry : families_->entries) {
      std::visit([&](const auto& family) { render_family(out, *family); }, entry);
    }
    collectors = families_->collectors;
  }
  // Collectors run unlocked: they read /proc and may touch the registry themselves.
  for (const auto& collect : collectors) collect(out);
  return out;
}

}  // namespace causeway::metrics
