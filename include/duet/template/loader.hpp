// The engines built from settings.TEMPLATES and the functions that use them (django.template.loader,
// django.template.engines): get_template, select_template, render_to_string.
#pragma once

#include "duet/template/context.hpp"
#include "duet/template/engine.hpp"
#include "duet/template/library.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace duet::http {
class HttpRequest;
}

namespace duet::templates {

// What a context processor adds to the context of a template rendered with a request.
using ContextProcessor = std::function<Dict(http::HttpRequest& request)>;

// Names that settings.TEMPLATES OPTIONS refer to (Django names modules; duet names registered objects).
// Registering replaces an earlier entry of the same name and makes engines() rebuild.
void register_library(std::string name, std::shared_ptr<const Library> library);
// Built in: "django.template.context_processors.request" (adds `request`) and
// "django.template.context_processors.csrf", which every engine runs, as Django does (adds `csrf_token`).
void register_context_processor(std::string name, ContextProcessor processor);

// A TEMPLATES entry names an unknown backend, library or context processor, or an unknown alias was asked
// for (Django's InvalidTemplateEngineError / ImproperlyConfigured).
class InvalidTemplateEngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Backend;

// A template found through the settings' engines (Django's backends.django.Template): renders with the
// request's context processors.
class BackendTemplate {
 public:
  BackendTemplate(std::shared_ptr<const Template> tmpl, std::shared_ptr<const Backend> backend);
  // Values of `context` override the context processors'.
  std::string render(Context context = {}, http::HttpRequest* request = nullptr) const;
  const Template& template_() const { return *tmpl_; }
  const Backend& backend() const { return *backend_; }
  const std::string& name() const { return tmpl_->name(); }

 private:
  std::shared_ptr<const Template> tmpl_;
  std::shared_ptr<const Backend> backend_;
};

// One TEMPLATES entry made into an engine, with {% url %} reversing through the urls layer.
class Backend : public std::enable_shared_from_this<Backend> {
 public:
  Backend(std::string name, EngineOptions options, std::vector<ContextProcessor> processors);
  const std::string& name() const { return name_; }
  const Engine& engine() const { return engine_; }
  BackendTemplate get_template(std::string_view name) const;
  BackendTemplate from_string(std::string_view source) const;
  // Renders with the context processors' values below `context` (when a request is given) and the
  // built-in csrf processor.
  std::string render(const Template& tmpl, Context context, http::HttpRequest* request) const;

 private:
  std::string name_;
  Engine engine_;
  std::vector<ContextProcessor> processors_;
};

class Engines {
 public:
  explicit Engines(std::vector<std::shared_ptr<const Backend>> backends) : backends_(std::move(backends)) {}
  // By NAME (default: "django"); throws InvalidTemplateEngineError.
  const Backend& operator[](std::string_view alias) const;
  const std::vector<std::shared_ptr<const Backend>>& all() const { return backends_; }

 private:
  std::vector<std::shared_ptr<const Backend>> backends_;
};

// The engines of the current settings, built on first use and rebuilt when the settings are replaced
// (configure(), SettingsOverride) or a library/processor is registered. Throws InvalidTemplateEngineError
// for a bad TEMPLATES entry. Thread-safe; a caller keeps the snapshot it got.
std::shared_ptr<const Engines> engines();

// Each engine in turn; `using_` restricts to one alias. Throw TemplateDoesNotExist naming what was tried.
BackendTemplate get_template(std::string_view name, std::string_view using_ = {});
BackendTemplate select_template(const std::vector<std::string>& names, std::string_view using_ = {});
std::string render_to_string(std::string_view name, Context context = {},
                             http::HttpRequest* request = nullptr, std::string_view using_ = {});
std::string render_to_string(const std::vector<std::string>& names, Context context = {},
                             http::HttpRequest* request = nullptr, std::string_view using_ = {});

// The {% url %} reverser the settings' engines use: duet::urls::reverse on ROOT_URLCONF; integers,
// floats and booleans are passed as numbers, everything else as its string. Throws urls::NoReverseMatch.
UrlReverser urls_reverser();

}  // namespace duet::templates
