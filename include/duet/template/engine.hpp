// The template engine: loaders, the compiled-template cache, and Template::render.
#pragma once

#include "duet/template/context.hpp"
#include "duet/template/library.hpp"
#include "duet/template/value.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace duet::templates {

class TemplateSyntaxError : public std::runtime_error {
 public:
  TemplateSyntaxError(std::string template_name, int line, const std::string& message);
  const std::string& template_name() const { return template_name_; }
  int line() const { return line_; }
  // The message without the "name, line N: " prefix (what Django says).
  const std::string& detail() const { return detail_; }

 private:
  std::string template_name_;
  int line_;
  std::string detail_;
};

class TemplateDoesNotExist : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error Django raises while rendering: a bad unpacking in {% for %}, a {% url %} that does not
// reverse, inclusion nested too deeply (a template including itself).
class TemplateRenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Resolves {% url name args... %}; nullopt when nothing matches (Django's NoReverseMatch).
using UrlReverser =
    std::function<std::optional<std::string>(std::string_view name, const List& args, const Dict& kwargs)>;

// Django's TEMPLATES entry for the DjangoTemplates backend.
struct EngineOptions {
  std::vector<std::filesystem::path> dirs;       // searched in order (the filesystem loader)
  std::map<std::string, std::string> templates;  // in-memory templates, searched first (the locmem loader)
  bool autoescape = true;
  std::string
      string_if_invalid;  // printed for a variable that does not resolve ("%s" is replaced by its name)
  bool cache = true;      // keep compiled templates (the cached loader); safe to share between threads
  std::map<std::string, std::shared_ptr<const Library>> libraries;  // what {% load name %} finds
  std::vector<std::shared_ptr<const Library>> builtins;             // available without {% load %}
  UrlReverser url_reverser;  // for {% url %}; the urls layer plugs reverse() in here
  std::size_t max_template_bytes = 16 * 1024 * 1024;
};

namespace detail {
struct EngineCore;
class NodeList;
}  // namespace detail

class Template {
 public:
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  std::string render(Context& context) const;
  std::string render(Context&& context) const { return render(context); }
  void render_to(Context& context, std::string& out) const;
  const std::string& name() const { return name_; }
  const detail::NodeList& nodes() const { return *nodes_; }
  const detail::EngineCore& engine() const { return *engine_; }

 private:
  friend struct detail::EngineCore;
  Template(std::string name, std::string source, std::shared_ptr<const detail::EngineCore> engine);

  std::string name_;
  std::string source_;  // text nodes point into it
  std::unique_ptr<detail::NodeList> nodes_;
  std::shared_ptr<const detail::EngineCore> engine_;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();

  // Loads (or takes from the cache) and compiles a template; throws TemplateDoesNotExist or
  // TemplateSyntaxError.
  std::shared_ptr<const Template> get_template(std::string_view name) const;
  // The first of `names` that exists.
  std::shared_ptr<const Template> select_template(const std::vector<std::string>& names) const;
  std::shared_ptr<const Template> from_string(std::string_view source, std::string name = "<string>") const;
  std::string render_to_string(std::string_view name, Context& context) const;
  // Later get_template() calls load and compile again. The cleared templates are freed with the engine's
  // last owner (a template handed out before may still render), not at once.
  void clear_cache() const;

  // A context with this engine's autoescape setting.
  Context new_context() const;

 private:
  std::shared_ptr<detail::EngineCore> core_;
};

}  // namespace duet::templates
