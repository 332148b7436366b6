// Engine, loaders (in-memory, then directories) and the thread-safe compiled-template cache.
#include "nodes.hpp"

#include <fstream>
#include <mutex>
#include <sstream>

namespace duet::templates {

TemplateSyntaxError::TemplateSyntaxError(std::string template_name, int line, const std::string& message)
    : std::runtime_error((template_name.empty() ? std::string("<unknown>") : template_name) + ", line " +
                         std::to_string(line) + ": " + message),
      template_name_(std::move(template_name)),
      line_(line),
      detail_(message) {}

Template::Template(std::string name, std::string source, std::shared_ptr<const detail::EngineCore> engine)
    : name_(std::move(name)), source_(std::move(source)), engine_(std::move(engine)) {
  detail::Parser parser(detail::tokenize(source_), *engine_, name_);
  nodes_ = std::make_unique<detail::NodeList>(parser.parse());
}

Template::~Template() = default;

void Template::render_to(Context& context, std::string& out) const {
  detail::RenderState state;
  state.tmpl = this;
  detail::RenderState* prev = context.render_state();
  state.depth = prev ? prev->depth + 1 : 0;
  if (state.depth > 64) throw detail::RenderError("Template inclusion is nested too deeply (a loop?)");
  // An engine configured with autoescape off renders that way at the top level (Django builds the context
  // with the engine's setting); nested renders keep the context's current setting.
  const bool saved_autoescape = context.autoescape();
  if (!prev && !engine_->options.autoescape) context.set_autoescape(false);
  context.set_render_state(&state);
  try {
    nodes_->render(context, out);
  } catch (...) {
    context.set_render_state(prev);
    context.set_autoescape(saved_autoescape);
    throw;
  }
  context.set_render_state(prev);
  context.set_autoescape(saved_autoescape);
}

std::string Template::render(Context& context) const {
  std::string out;
  out.reserve(source_.size() + source_.size() / 2);
  render_to(context, out);
  return out;
}

namespace detail {

namespace {
// Django's safe_join: a template name may not leave its directory.
bool safe_relative(const std::filesystem::path& p) {
  if (p.is_absolute() || p.has_root_name()) return false;
  for (const auto& part : p.lexically_normal())
    if (part == "..") return false;
  return true;
}
}  // namespace

std::string EngineCore::load_source(std::string_view name) const {
  if (auto it = options.templates.find(std::string(name)); it != options.templates.end()) return it->second;
  std::filesystem::path rel{std::string(name)};
  if (!name.empty() && safe_relative(rel)) {
    for (const auto& dir : options.dirs) {
      std::filesystem::path full = dir / rel;
      std::error_code ec;
      if (!std::filesystem::is_regular_file(full, ec)) continue;
      auto size = std::filesystem::file_size(full, ec);
      if (ec) continue;
      if (size > options.max_template_bytes)
        throw TemplateDoesNotExist(std::string(name) + " (larger than max_template_bytes)");
      std::ifstream in(full, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
  }
  throw TemplateDoesNotExist(std::string(name));
}

std::shared_ptr<const Template> EngineCore::compile(std::string source, std::string name) const {
  if (source.size() > options.max_template_bytes)
    throw TemplateSyntaxError(name, 1, "template larger than max_template_bytes");
  // Template's constructor is private to the engine.
  return std::shared_ptr<const Template>(
      new Template(std::move(name), std::move(source), shared_from_this()));
}

std::shared_ptr<const Template> EngineCore::get_template(std::string_view name) const {
  std::string key(name);
  if (!options.cache) return compile(load_source(name), std::move(key));
  // A cached template, handed out through a pointer that owns the engine (which owns the cache).
  auto handle = [this](const std::shared_ptr<const Template>& cached) {
    return std::shared_ptr<const Template>(shared_from_this(), cached.get());
  };
  {
    std::shared_lock lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return handle(it->second);
  }
  // Compile outside the lock: a slow compile does not stall renders of other templates.
  auto tmpl = compile(load_source(name), key);
  // The cache's copy leaves the engine to its owners (nodes.hpp). Still unshared: nobody reads it meanwhile.
  const_cast<Template&>(*tmpl).engine_ =
      std::shared_ptr<const EngineCore>(std::shared_ptr<const EngineCore>(), this);
  std::unique_lock lock(mutex);
  auto [it, inserted] = cache.emplace(std::move(key), std::move(tmpl));
  return handle(it->second);
}

void EngineCore::clear_cache() const {
  std::unique_lock lock(mutex);
  for (auto& entry : cache)
    cleared.push_back(std::move(entry.second));
  cache.clear();
}

}  // namespace detail

Engine::Engine(EngineOptions options) : core_(std::make_shared<detail::EngineCore>(std::move(options))) {}
Engine::~Engine() = default;

std::shared_ptr<const Template> Engine::get_template(std::string_view name) const {
  return core_->get_template(name);
}

std::shared_ptr<const Template> Engine::select_template(const std::vector<std::string>& names) const {
  std::string tried;
  for (const auto& n : names) {
    try {
      return core_->get_template(n);
    } catch (const TemplateDoesNotExist&) {
      tried += (tried.empty() ? "" : ", ") + n;
    }
  }
  throw TemplateDoesNotExist(tried.empty() ? "No template names provided" : tried);
}

std::shared_ptr<const Template> Engine::from_string(std::string_view source, std::string name) const {
  return core_->compile(std::string(source), std::move(name));
}

std::string Engine::render_to_string(std::string_view name, Context& context) const {
  return get_template(name)->render(context);
}

void Engine::clear_cache() const {
  core_->clear_cache();
}

Context Engine::new_context() const {
  Context c;
  c.set_autoescape(core_->options.autoescape);
  return c;
}

}  // namespace duet::templates
