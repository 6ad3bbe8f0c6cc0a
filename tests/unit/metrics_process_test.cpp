#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "metrics/registry.h"

namespace causeway::metrics {
namespace {

// name -> value for every sample line; the collector writes only unlabelled samples.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> values;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    values[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return values;
}

std::string scrape() {
  Registry registry;
  register_process_metrics(registry);
  return registry.render();
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(MetricsProcess, EveryMetricHasHelpTypeAndOneSample) {
  const std::string text = scrape();
  const std::map<std::string, std::string> types = {
      {"process_cpu_seconds_total", "counter"}, {"process_resident_memory_bytes", "gauge"},
      {"process_virtual_memory_bytes", "gauge"}, {"process_open_fds", "gauge"},
      {"process_max_fds", "gauge"},             {"process_start_time_seconds", "gauge"},
      {"process_threads", "gauge"},
  };
  const auto values = samples(text);
  EXPECT_EQ(values.size(), types.size()) << text;
  for (const auto& [name, type] : types) {
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
    EXPECT_EQ(values.count(name), 1u) << name;
  }
}

TEST(MetricsProcess, ValuesArePlausible) {
  // Some work and a second thread, so cpu time and the thread count have something to show.
  std::promise<void> scraped;
  std::thread waiter([done = scraped.get_future()] { done.wait(); });
  // Spin on CPU time, not wall time, so a busy machine cannot leave it at zero ticks.
  volatile double spin = 0;
  const std::clock_t until = std::clock() + CLOCKS_PER_SEC / 20;
  while (std::clock() < until) spin = spin + 1;
  const auto values = samples(scrape());
  scraped.set_value();
  waiter.join();

  EXPECT_GT(values.at("process_cpu_seconds_total"), 0);
  EXPECT_GT(values.at("process_resident_memory_bytes"), 0);
  EXPECT_GT(values.at("process_virtual_memory_bytes"), values.at("process_resident_memory_bytes"));
  EXPECT_GE(values.at("process_open_fds"), 3);
  EXPECT_GE(values.at("process_threads"), 2);
  const double start = values.at("process_start_time_seconds");
  EXPECT_LE(start, now_seconds() + 1);
  EXPECT_GT(start, now_seconds() - 3600);

  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const double max_fds = limit.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(limit.rlim_cur);
  EXPECT_EQ(values.at("process_max_fds"), max_fds);
}

TEST(MetricsProcess, OpenFdsFollowsTheProcess) {
  const double before = samples(scrape()).at("process_open_fds");
  const int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const double during = samples(scrape()).at("process_open_fds");
  close(fd);
  EXPECT_EQ(during, before + 1);
}

TEST(MetricsProcess, CollectorRunsAfterTheRegistryFamilies) {
  Registry registry;
  registry.counter("causeway_requests_total", "Requests.");
  register_process_metrics(registry);
  const std::string text = registry.render();
  EXPECT_EQ(text.rfind("# HELP causeway_requests_total", 0), 0u);
  EXPECT_NE(text.find("process_threads "), std::string::npos);
}

}  // namespace
}  // namespace causeway::metrics
