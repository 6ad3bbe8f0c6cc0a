// Config files far larger than any written by hand: refused over the size bound, and
// below it loaded with every check across routes still made (on one pass each).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "." + std::to_string(getpid()))) {}
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

// Routes r0..r<count-1> on listener "public", each on a path of its own.
std::string many_routes(std::size_t count, const std::string& listener = "public") {
  std::string yaml = "listeners:\n  public: { protocol: http, listen: 127.0.0.1:0 }\n"
                     "  other: { protocol: http, listen: 127.0.0.1:0 }\nroutes:\n";
  for (std::size_t i = 0; i < count; ++i) {
    yaml += "  - { name: r" + std::to_string(i) + ", from: { listener: " + listener + ", method: GET, path: '/r/" +
            std::to_string(i) + "/{id}' }, to: { status: 200 } }\n";
  }
  return yaml;
}

TEST(ConfigLargeFiles, AFileOverTheBoundIsRefusedWithItsNameAndTheLimit) {
  TempFile file("causeway_too_large.yaml");
  {
    std::ofstream out(file.path());
    out << "admin: {}\n";
  }
  std::filesystem::resize_file(file.path(), kMaxConfigFileBytes + 1);  // sparse: nothing is written
  try {
    load_config(file.path());
    FAIL() << "loaded";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), file.path());
    EXPECT_EQ(error.mark().line, 0);
    EXPECT_EQ(std::string(error.what()), file.path() + ": the file is over the limit of 16 MiB for a config file (" +
                                             std::to_string(kMaxConfigFileBytes + 1) + " bytes)");
  }
}

TEST(ConfigLargeFiles, APipeIsRefusedOnceItBringsMoreThanTheBound) {
  TempFile fifo("causeway_too_large.fifo");
  ASSERT_EQ(mkfifo(fifo.path().c_str(), 0600), 0);
  std::thread writer([&] {
    // The reader stops early: EPIPE, not a SIGPIPE that would end the test binary.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    const int fd = open(fifo.path().c_str(), O_WRONLY);
    const std::string comment = "#" + std::string(4094, 'x') + "\n";
    for (std::size_t written = 0; fd >= 0 && written <= kMaxConfigFileBytes + comment.size();) {
      const ssize_t n = write(fd, comment.data(), comment.size());
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    if (fd >= 0) close(fd);
  });
  const std::string error = error_of([&] { load_config(fifo.path()); });
  writer.join();
  EXPECT_EQ(error, fifo.path() + ": the file is over the limit of 16 MiB for a config file");
}

TEST(ConfigLargeFiles, ADuplicateNameFarDownIsFoundWithTheFirstLine) {
  // Line 1-4 are the head; route i is on line 5 + i.
  const std::string yaml = many_routes(5000) +
                           "  - { name: r1234, from: { listener: public, path: /dup }, to: { status: 200 } }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5005:13: routes[5000].name: duplicate route name 'r1234' (first at line 1239)");
}

TEST(ConfigLargeFiles, TheFirstClashInTheFileIsReportedWhicheverListenerItIsOn) {
  std::string yaml = many_routes(5000);
  // routes[5000] clashes with routes[3] on "public"; routes[5002] with routes[5001] on "other".
  yaml += "  - { name: late, from: { listener: public, method: GET, path: '/r/3/{x}' }, to: { status: 200 } }\n";
  yaml += "  - { name: o1, from: { listener: other, path: /o }, to: { status: 200 } }\n";
  yaml += "  - { name: o2, from: { listener: other, path: /o }, to: { status: 200 } }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5005:64: routes[5000].from.path: ambiguous with route 'r3' (routes[3]): both match the same "
            "requests");

  // The same routes on another listener do not clash.
  std::string apart = many_routes(5000);
  apart += "  - { name: late, from: { listener: other, method: GET, path: '/r/3/{x}' }, to: { status: 200 } }\n";
  EXPECT_EQ(parse_config(apart, "big.yaml").routes.size(), 5001u);
}

TEST(ConfigLargeFiles, ADuplicateKeyInALargeMappingIsFound) {
  std::string yaml = "upstreams:\n";
  for (int i = 0; i < 20000; ++i) yaml += "  u" + std::to_string(i) + ": { url: 'http://127.0.0.1:3000' }\n";
  yaml += "  u777: { url: 'http://127.0.0.1:3001' }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }), "big.yaml:20002:3: upstreams.u777: duplicate key");
}

TEST(ConfigLargeFiles, ManyListenersStillClashOnOnePort) {
  std::string yaml = "listeners:\n";
  for (int i = 0; i < 5000; ++i) {
    yaml += "  l" + std::to_string(i) + ": { protocol: http, listen: '127.0.0.1:" + std::to_string(10000 + i) + "' }\n";
  }
  yaml += "  again: { protocol: http, listen: '0.0.0.0:12345' }\n";
  EXPECT_EQ(error_of([&] { parse_config(yaml, "big.yaml"); }),
            "big.yaml:5002:36: listeners.again.listen: address 0.0.0.0:12345 is already used by listener 'l2345' "
            "(127.0.0.1:12345)");
}

}  // namespace
}  // namespace causeway::config
