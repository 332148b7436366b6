#include "duet/db/settings.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "duet/db/exceptions.hpp"

namespace duet::db {

namespace {

struct Config {
  std::mutex mutex;
  Databases databases;
  std::atomic<std::uint64_t> generation{1};
};

Config& config() {
  static Config c;
  return c;
}

}  // namespace

DatabaseSettings DatabaseSettings::from_url(std::string_view url) {
  DatabaseSettings s;
  constexpr std::string_view scheme = "sqlite://";
  if (url.substr(0, scheme.size()) != scheme) {
    auto colon = url.find("://");
    throw ImproperlyConfigured(fmt::format("DATABASE_URL scheme '{}' is not supported (only sqlite:// is)",
                                           colon == std::string_view::npos ? url : url.substr(0, colon)));
  }
  auto rest = url.substr(scheme.size());
  if (rest == ":memory:" || rest == "/:memory:") {
    s.name = ":memory:";
  } else if (!rest.empty() && rest[0] == '/') {
    // sqlite:///db.sqlite3 is relative, sqlite:////abs/db.sqlite3 absolute (dj-database-url).
    s.name = std::string(rest.substr(1));
    if (s.name.empty()) throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}' names no file", url));
  } else {
    throw ImproperlyConfigured(fmt::format(
        "DATABASE_URL '{}' must look like sqlite:///path/to/db.sqlite3 or sqlite://:memory:", url));
  }
  return s;
}

namespace detail {
void configure_atomic_requests(const Databases& databases);  // atomic_requests.cpp
}  // namespace detail

void configure(Databases databases) {
  for (auto& [alias, s] : databases) {
    if (s.engine == "django.db.backends.sqlite3" || s.engine == "sqlite3") s.engine = "sqlite";
    if (s.engine != "sqlite") {
      throw ImproperlyConfigured(
          fmt::format("DATABASES['{}']: ENGINE '{}' is not supported", alias, s.engine));
    }
    if (s.name.empty()) throw ImproperlyConfigured(fmt::format("DATABASES['{}']: NAME is empty", alias));
    if (s.transaction_mode != "DEFERRED" && s.transaction_mode != "IMMEDIATE" &&
        s.transaction_mode != "EXCLUSIVE") {
      throw ImproperlyConfigured(
          fmt::format("DATABASES['{}']: transaction_mode must be DEFERRED, IMMEDIATE or EXCLUSIVE", alias));
    }
  }
  detail::configure_atomic_requests(databases);
  auto& c = config();
  std::lock_guard lock(c.mutex);
  c.databases = std::move(databases);
  c.generation.fetch_add(1, std::memory_order_acq_rel);
}

bool configure_from_env() {
  const char* url = std::getenv("DATABASE_URL");
  if (!url || !*url) return false;
  configure({{std::string(DEFAULT_DB_ALIAS), DatabaseSettings::from_url(url)}});
  return true;
}

DatabaseSettings database_settings(std::string_view alias) {
  auto& c = config();
  std::lock_guard lock(c.mutex);
  auto it = c.databases.find(alias);
  if (it == c.databases.end()) {
    std::string known;
    for (auto& [name, _] : c.databases)
      known += (known.empty() ? "" : ", ") + name;
    throw ImproperlyConfigured(fmt::format("The connection '{}' doesn't exist (DATABASES has: {})", alias,
                                           known.empty() ? "nothing; call duet::db::configure()" : known));
  }
  return it->second;
}

Databases databases() {
  auto& c = config();
  std::lock_guard lock(c.mutex);
  return c.databases;
}

std::uint64_t configuration_generation() noexcept {
  return config().generation.load(std::memory_order_acquire);
}

}  // namespace duet::db
