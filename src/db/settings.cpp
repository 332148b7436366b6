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

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, std::string_view url) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}': bad percent-escape", url));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

DatabaseSettings sqlite_from_url(std::string_view url, std::string_view rest) {
  DatabaseSettings s;
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

// postgres://user:password@host:port/dbname?key=value&... (every part optional, as in libpq's URIs).
DatabaseSettings postgresql_from_url(std::string_view url, std::string_view rest) {
  DatabaseSettings s;
  s.engine = "postgresql";
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest, path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    s.user = percent_decode(userinfo.substr(0, colon), url);
    if (colon != std::string_view::npos) s.password = percent_decode(userinfo.substr(colon + 1), url);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:5432
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}': unterminated IPv6 address", url));
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}': bad host", url));
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  for (char c : port) {
    if (c < '0' || c > '9')
      throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}': the port must be a number", url));
  }
  s.host = percent_decode(host, url);
  s.port = std::string(port);
  s.name = percent_decode(path, url);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      throw ImproperlyConfigured(fmt::format("DATABASE_URL '{}': option '{}' has no value", url, pair));
    s.options.insert_or_assign(percent_decode(pair.substr(0, eq), url),
                               percent_decode(pair.substr(eq + 1), url));
  }
  return s;
}

void append_keyword(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  if (!out.empty()) out += ' ';
  out += key;
  out += "='";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
}

std::string_view normalized_engine(std::string_view engine) {
  if (engine == "sqlite" || engine == "sqlite3" || engine == "django.db.backends.sqlite3") return "sqlite";
  if (engine == "postgresql" || engine == "postgres" || engine == "django.db.backends.postgresql" ||
      engine == "django.db.backends.postgresql_psycopg2") {
    return "postgresql";
  }
  return {};
}

}  // namespace

DatabaseSettings DatabaseSettings::from_url(std::string_view url) {
  auto sep = url.find("://");
  auto scheme = url.substr(0, sep);
  if (sep != std::string_view::npos) {
    auto rest = url.substr(sep + 3);
    if (scheme == "sqlite") return sqlite_from_url(url, rest);
    if (scheme == "postgres" || scheme == "postgresql" || scheme == "pgsql")
      return postgresql_from_url(url, rest);
  }
  throw ImproperlyConfigured(fmt::format(
      "DATABASE_URL scheme '{}' is not supported (sqlite://, postgres:// and postgresql:// are)", scheme));
}

std::string DatabaseSettings::conninfo() const {
  std::string out;
  append_keyword(out, "host", host);
  append_keyword(out, "port", port);
  append_keyword(out, "user", user);
  append_keyword(out, "password", password);
  append_keyword(out, "dbname", name);
  for (auto& [key, value] : options) {
    // duet's connections set the session TimeZone to UTC through libpq's "options" (the ORM's datetimes are
    // UTC); a user's "options" replaces that keyword, so it keeps the setting in front.
    if (key == "options") {
      append_keyword(out, key, "-c TimeZone=UTC " + value);
    } else {
      append_keyword(out, key, value);
    }
  }
  return out;
}

namespace detail {
void configure_atomic_requests(const Databases& databases);  // atomic_requests.cpp
}  // namespace detail

void configure(Databases databases) {
  for (auto& [alias, s] : databases) {
    auto engine = normalized_engine(s.engine);
    if (engine.empty()) {
      throw ImproperlyConfigured(fmt::format(
          "DATABASES['{}']: ENGINE '{}' is not supported (sqlite or postgresql)", alias, s.engine));
    }
    s.engine = std::string(engine);
    if (s.name.empty() && s.engine == "sqlite")
      throw ImproperlyConfigured(fmt::format("DATABASES['{}']: NAME is empty", alias));
    for (auto& [key, _] : s.options) {
      bool ok = !key.empty();
      for (char c : key)
        ok = ok && ((c >= 'a' && c <= 'z') || c == '_');
      if (!ok) throw ImproperlyConfigured(fmt::format("DATABASES['{}']: bad OPTIONS key '{}'", alias, key));
    }
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

std::string_view vendor_of(std::string_view alias) {
  // Called for every query compiled: a per-thread copy of the alias → engine map, refreshed when the
  // configuration changes, keeps the mutex off that path.
  struct Cache {
    std::uint64_t generation = 0;
    std::map<std::string, std::string_view, std::less<>> vendors;
  };
  thread_local Cache cache;
  auto generation = configuration_generation();
  if (cache.generation != generation) {
    auto& c = config();
    std::lock_guard lock(c.mutex);
    cache.vendors.clear();
    for (auto& [name, s] : c.databases)
      cache.vendors.emplace(name, normalized_engine(s.engine));
    cache.generation = c.generation.load(std::memory_order_acquire);
  }
  if (auto it = cache.vendors.find(alias); it != cache.vendors.end()) return it->second;
  return normalized_engine(database_settings(alias).engine);  // throws the unknown-alias error
}

std::uint64_t configuration_generation() noexcept {
  return config().generation.load(std::memory_order_acquire);
}

}  // namespace duet::db
