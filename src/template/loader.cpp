// settings.TEMPLATES → engines, the registries their OPTIONS name, and the loader functions.
#include "duet/template/loader.hpp"

#include "duet/conf/settings.hpp"
#include "duet/http/request.hpp"
#include "duet/urls/resolvers.hpp"
#include "request_value.hpp"

#include <map>
#include <mutex>

namespace duet::templates {

namespace {

constexpr std::string_view kDjangoBackend = "django.template.backends.django.DjangoTemplates";

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const Library>, std::less<>> libraries;
  std::map<std::string, ContextProcessor, std::less<>> processors;
  // The engines and the settings they were built from; reset by every registration.
  std::shared_ptr<const conf::Settings> built_from;
  std::shared_ptr<const Engines> engines;
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // never destroyed: static destructors of other layers may still render
    reg->processors["django.template.context_processors.request"] = [](http::HttpRequest& request) {
      return Dict{{"request", request_value(request)}};
    };
    return reg;
  }();
  return *r;
}

// Django's csrf context processor: the token the CSRF middleware put on the request, else the marker
// that makes {% csrf_token %} print nothing.
Dict csrf_values(http::HttpRequest& request) {
  if (auto it = request.attrs.find("csrf_token"); it != request.attrs.end()) {
    if (const auto* s = std::any_cast<std::string>(&it->second)) return {{"csrf_token", *s}};
  }
  return {{"csrf_token", "NOTPROVIDED"}};
}

std::any url_argument(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Int:
      return std::int64_t{v.as_int()};
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Float:
      return v.as_double();
    default:
      return v.str();
  }
}

// Django's DjangoTemplates backend name: "django" for django.template.backends.django.DjangoTemplates.
std::string default_alias(std::string_view backend) {
  auto last = backend.rfind('.');
  if (last == std::string_view::npos || last == 0) return std::string(backend);
  auto prev = backend.rfind('.', last - 1);
  return std::string(backend.substr(prev == std::string_view::npos ? 0 : prev + 1,
                                    last - (prev == std::string_view::npos ? 0 : prev + 1)));
}

std::shared_ptr<const Engines> build_engines(const conf::Settings& settings, Registry& reg) {
  std::vector<std::shared_ptr<const Backend>> backends;
  for (const auto& entry : settings.TEMPLATES) {
    if (entry.BACKEND != kDjangoBackend && entry.BACKEND != "duet")
      throw InvalidTemplateEngineError("TEMPLATES: unknown BACKEND '" + entry.BACKEND + "' (duet has " +
                                       std::string(kDjangoBackend) + ")");
    if (entry.APP_DIRS)
      throw InvalidTemplateEngineError(
          "TEMPLATES: APP_DIRS is not supported (duet has no INSTALLED_APPS); list the directories in DIRS");
    std::string alias =
        entry.NAME.empty()
            ? default_alias(entry.BACKEND == "duet" ? kDjangoBackend : std::string_view(entry.BACKEND))
            : entry.NAME;
    for (const auto& b : backends) {
      if (b->name() == alias)
        throw InvalidTemplateEngineError("Template engine aliases aren't unique, duplicates: " + alias +
                                         ". Set a unique NAME for each engine in settings.TEMPLATES.");
    }
    const auto& o = entry.OPTIONS;
    EngineOptions opts;
    for (const auto& d : entry.DIRS)
      opts.dirs.emplace_back(d);
    opts.autoescape = o.autoescape;
    opts.string_if_invalid = o.string_if_invalid;
    opts.cache = !o.debug.value_or(settings.DEBUG);
    for (const auto& [load_name, registered] : o.libraries) {
      auto it = reg.libraries.find(registered);
      if (it == reg.libraries.end())
        throw InvalidTemplateEngineError("Invalid template library specified. No library registered as '" +
                                         registered + "' (for {% load " + load_name + " %})");
      opts.libraries[load_name] = it->second;
    }
    for (const auto& name : o.builtins) {
      auto it = reg.libraries.find(name);
      if (it == reg.libraries.end())
        throw InvalidTemplateEngineError("Invalid template builtins specified. No library registered as '" +
                                         name + "'");
      opts.builtins.push_back(it->second);
    }
    std::vector<ContextProcessor> processors;
    for (const auto& name : o.context_processors) {
      auto it = reg.processors.find(name);
      if (it == reg.processors.end())
        throw InvalidTemplateEngineError("TEMPLATES: no context processor registered as '" + name + "'");
      processors.push_back(it->second);
    }
    opts.url_reverser = urls_reverser();
    backends.push_back(std::make_shared<Backend>(std::move(alias), std::move(opts), std::move(processors)));
  }
  return std::make_shared<Engines>(std::move(backends));
}

template <class Find>
BackendTemplate find_in_engines(std::string_view using_, const std::string& what, Find find) {
  auto all = engines();
  std::string tried;
  for (const auto& backend : all->all()) {
    if (!using_.empty() && backend->name() != using_) continue;
    try {
      return find(*backend);
    } catch (const TemplateDoesNotExist& e) {
      tried += (tried.empty() ? "" : "; ") + backend->name() + ": " + e.what();
    }
  }
  if (!using_.empty() && tried.empty()) (*all)[using_];  // throws for an unknown alias
  throw TemplateDoesNotExist(tried.empty() ? what + " (settings.TEMPLATES is empty)" : tried);
}

}  // namespace

void register_library(std::string name, std::shared_ptr<const Library> library) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  reg.libraries[std::move(name)] = std::move(library);
  reg.engines.reset();
  reg.built_from.reset();
}

void register_context_processor(std::string name, ContextProcessor processor) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  reg.processors[std::move(name)] = std::move(processor);
  reg.engines.reset();
  reg.built_from.reset();
}

std::shared_ptr<const Engines> engines() {
  auto current = conf::settings();
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  if (!reg.engines || reg.built_from != current) {
    reg.engines = build_engines(*current, reg);
    reg.built_from = current;
  }
  return reg.engines;
}

const Backend& Engines::operator[](std::string_view alias) const {
  for (const auto& b : backends_)
    if (b->name() == alias) return *b;
  throw InvalidTemplateEngineError("Could not find config for '" + std::string(alias) +
                                   "' in settings.TEMPLATES");
}

BackendTemplate::BackendTemplate(std::shared_ptr<const Template> tmpl, std::shared_ptr<const Backend> backend)
    : tmpl_(std::move(tmpl)), backend_(std::move(backend)) {}

std::string BackendTemplate::render(Context context, http::HttpRequest* request) const {
  return backend_->render(*tmpl_, std::move(context), request);
}

Backend::Backend(std::string name, EngineOptions options, std::vector<ContextProcessor> processors)
    : name_(std::move(name)), engine_(std::move(options)), processors_(std::move(processors)) {}

BackendTemplate Backend::get_template(std::string_view name) const {
  return BackendTemplate(engine_.get_template(name), shared_from_this());
}

BackendTemplate Backend::from_string(std::string_view source) const {
  return BackendTemplate(engine_.from_string(source), shared_from_this());
}

std::string Backend::render(const Template& tmpl, Context context, http::HttpRequest* request) const {
  if (request) {
    Dict below = csrf_values(*request);
    for (const auto& processor : processors_) {
      Dict more = processor(*request);
      below.insert(below.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    context.insert_below(below);
  }
  return tmpl.render(context);
}

BackendTemplate get_template(std::string_view name, std::string_view using_) {
  return find_in_engines(using_, std::string(name), [&](const Backend& b) { return b.get_template(name); });
}

BackendTemplate select_template(const std::vector<std::string>& names, std::string_view using_) {
  if (names.empty()) throw TemplateDoesNotExist("No template names provided");
  std::string tried;
  for (const auto& n : names) {
    try {
      return get_template(n, using_);
    } catch (const TemplateDoesNotExist&) {
      tried += (tried.empty() ? "" : ", ") + n;
    }
  }
  throw TemplateDoesNotExist(tried);
}

std::string render_to_string(std::string_view name, Context context, http::HttpRequest* request,
                             std::string_view using_) {
  return get_template(name, using_).render(std::move(context), request);
}

std::string render_to_string(const std::vector<std::string>& names, Context context,
                             http::HttpRequest* request, std::string_view using_) {
  return select_template(names, using_).render(std::move(context), request);
}

UrlReverser urls_reverser() {
  return [](std::string_view name, const List& args, const Dict& kwargs) -> std::optional<std::string> {
    urls::ReverseArgs r;
    for (const auto& a : args)
      r.args.push_back(url_argument(a.resolved()));
    for (const auto& [k, v] : kwargs)
      r.kwargs.emplace_back(k, url_argument(v.resolved()));
    return urls::reverse(name, r);
  };
}

}  // namespace duet::templates
