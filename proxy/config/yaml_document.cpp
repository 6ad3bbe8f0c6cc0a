#include "config/yaml_document.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>

#include "config/config_loader.h"

namespace causeway::config {
namespace {

// Finds where a second document starts without building any node. YAML::LoadAll cannot
// do this: on a stray ',' it returns empty documents forever (yaml-cpp issue #1040).
class SecondDocument : public YAML::EventHandler {
 public:
  static std::optional<YAML::Mark> find(std::string_view yaml) {
    std::istringstream stream{std::string(yaml)};
    YAML::Parser parser(stream);
    SecondDocument handler;
    if (!parser.HandleNextDocument(handler) || !parser.HandleNextDocument(handler)) return std::nullopt;
    return handler.start_;
  }

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  YAML::Mark start_;
};

Mark to_mark(const YAML::Mark& mark) { return Mark{mark.line + 1, mark.column + 1}; }

// The YAML mistake this schema invites: inside { ... } a brace ends a plain value, so
// "{ path: /orders/{id} }" fails where that brace is. Say how to write it.
std::string hint_for(std::string_view yaml, const YAML::ParserException& error) {
  if (error.msg != YAML::ErrorMsg::END_OF_MAP_FLOW || error.mark.pos < 1) return "";
  const auto at = static_cast<std::size_t>(error.mark.pos);
  if (at >= yaml.size() || (yaml[at] != '{' && yaml[at] != '}')) return "";
  const char before = yaml[at - 1];
  if (before == ' ' || before == '\t' || before == ',' || before == '{') return "";
  return " (a value with braces inside { ... } needs quotes, like path: \"/orders/{id}\")";
}

}  // namespace

YAML::Node load_yaml_document(std::string_view yaml, const std::string& file) {
  try {
    const YAML::Node document = YAML::Load(std::string(yaml));
    if (const std::optional<YAML::Mark> second = SecondDocument::find(yaml)) {
      throw ConfigError(file, to_mark(*second), "", "expected a single YAML document");
    }
    return document;
  } catch (const YAML::DeepRecursion& error) {
    // yaml-cpp words this one "bad file".
    throw ConfigError(file, to_mark(error.mark), "", "invalid YAML: nested too deeply");
  } catch (const YAML::ParserException& error) {
    throw ConfigError(file, to_mark(error.mark), "", "invalid YAML: " + error.msg + hint_for(yaml, error));
  }
}

}  // namespace causeway::config
