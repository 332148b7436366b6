// Settings: the project's configuration, with Django's names (django.conf.settings).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::conf {

/// Thrown when the configuration is unusable (a bad environment value, a missing setting).
class ImproperlyConfigured : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One entry of DATABASES (placeholder until the db layer defines its full options).
struct DatabaseSettings {
  std::string ENGINE;  // "sqlite3" or "postgresql"
  std::string NAME;
  std::string USER;
  std::string PASSWORD;
  std::string HOST;
  std::string PORT;
  std::map<std::string, std::string> OPTIONS;
};

/// OPTIONS of a TEMPLATES entry (Django's DjangoTemplates options). Libraries, builtins and context
/// processors are names registered from C++ (duet::templates::register_library /
/// register_context_processor), as Django names modules.
struct TemplateOptions {
  /// Unset: DEBUG. A debug engine does not keep compiled templates (edits show up without a restart), as
  /// Django 3.2 leaves out its cached loader.
  std::optional<bool> debug;
  std::string string_if_invalid;
  bool autoescape = true;
  /// {% load <key> %} finds the library registered as <value>.
  std::map<std::string, std::string> libraries;
  /// Registered libraries available without {% load %}.
  std::vector<std::string> builtins;
  /// Registered context processors (e.g. "django.template.context_processors.request"); they run when a
  /// template is rendered with a request.
  std::vector<std::string> context_processors;
};

/// One entry of TEMPLATES.
struct TemplateSettings {
  std::string BACKEND = "django.template.backends.django.DjangoTemplates";
  std::string NAME;  // defaults to the BACKEND's last dotted part but one ("django")
  std::vector<std::string> DIRS;
  bool APP_DIRS = false;  // duet has no INSTALLED_APPS: true is refused (ImproperlyConfigured)
  TemplateOptions OPTIONS;
};

/// Every field is named as in Django and defaults to Django's default. A limit of std::nullopt disables it,
/// as None does in Django.
struct Settings {
  bool DEBUG = false;
  std::vector<std::string> ALLOWED_HOSTS;
  std::string SECRET_KEY;
  std::vector<std::string> MIDDLEWARE;
  /// Name of a URLconf registered with duet::urls::register_urlconf (Django: a module path).
  std::string ROOT_URLCONF;
  bool APPEND_SLASH = true;
  bool PREPEND_WWW = false;

  std::optional<std::size_t> DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440;  // 2.5 MiB
  std::optional<std::size_t> DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000;
  std::optional<std::size_t> DATA_UPLOAD_MAX_NUMBER_FILES = 100;
  std::size_t FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440;
  /// Empty: the system temporary directory.
  std::string FILE_UPLOAD_TEMP_DIR;

  std::map<std::string, DatabaseSettings> DATABASES;
  std::vector<TemplateSettings> TEMPLATES;

  bool USE_X_FORWARDED_HOST = false;
  bool USE_X_FORWARDED_PORT = false;
  /// (META key, value), e.g. {"HTTP_X_FORWARDED_PROTO", "https"}.
  std::optional<std::pair<std::string, std::string>> SECURE_PROXY_SSL_HEADER;
  std::string DEFAULT_CHARSET = "utf-8";

  /// Overrides fields from environment variables named DUET_<SETTING> (DUET_DEBUG=1,
  /// DUET_ALLOWED_HOSTS=a.com,.b.org, DUET_DATA_UPLOAD_MAX_MEMORY_SIZE=none, ...); see docs/settings.md.
  /// `getenv` is injectable for tests. Throws ImproperlyConfigured on a malformed value.
  void apply_environment(const std::function<std::optional<std::string>(const std::string&)>& getenv);
  void apply_environment();

  /// Names of the settings apply_environment understands, in declaration order.
  static const std::vector<std::string>& environment_names();
};

/// The process-wide settings. configure() replaces them (at startup, or in tests through SettingsOverride);
/// readers keep the snapshot they took, so a swap never changes a request mid-flight.
std::shared_ptr<const Settings> settings();
void configure(Settings settings);

/// Replaces the process-wide settings for a scope and restores the previous ones (Django's
/// override_settings).
class SettingsOverride {
 public:
  explicit SettingsOverride(Settings settings);
  ~SettingsOverride();
  SettingsOverride(const SettingsOverride&) = delete;
  SettingsOverride& operator=(const SettingsOverride&) = delete;

 private:
  std::shared_ptr<const Settings> previous_;
};

/// True if a setting's name marks it as secret (Django's HIDDEN_SETTINGS: API, KEY, PASS, SECRET, SIGNATURE,
/// TOKEN), for the DEBUG page.
bool is_sensitive_setting(std::string_view name);

}  // namespace duet::conf
