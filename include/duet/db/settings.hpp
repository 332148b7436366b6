// DATABASES: the aliases the process can use, configured once at startup (no global settings module needed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace duet::db {

inline constexpr std::string_view DEFAULT_DB_ALIAS = "default";

/// One entry of DATABASES. ENGINE is "sqlite" or "postgresql", also in Django's spelling
/// ("django.db.backends.sqlite3", "django.db.backends.postgresql"; "postgres" too); configure() normalises
/// it.
struct DatabaseSettings {
  std::string engine = "sqlite";
  /// SQLite: the database file (":memory:" gives every connection, so every thread, its own empty database).
  /// PostgreSQL: the database name (empty: libpq's default, PGDATABASE).
  std::string name;
  /// PostgreSQL only (Django's HOST, PORT, USER, PASSWORD); empty means libpq's default (PGHOST, ...). HOST
  /// may be a directory holding the server's Unix socket.
  std::string host;
  std::string port;
  std::string user;
  std::string password;
  /// PostgreSQL only: further libpq connection keywords (Django's OPTIONS), e.g. {"sslmode", "require"}.
  std::map<std::string, std::string, std::less<>> options;
  /// How long a statement waits for a lock held by another connection before OperationalError.
  std::chrono::milliseconds busy_timeout{5000};
  /// journal_mode=WAL: readers do not block the writer, the default for a server.
  bool wal = true;
  /// "DEFERRED" (SQLite's and Django's default), "IMMEDIATE" (take the write lock at BEGIN: no upgrade
  /// deadlocks between concurrent writers) or "EXCLUSIVE".
  std::string transaction_mode = "DEFERRED";
  /// Wrap each view in atomic() (read by the handlers layer).
  bool atomic_requests = false;

  /// "sqlite:///relative/path.db", "sqlite:////absolute/path.db", "sqlite://:memory:",
  /// "postgres://user:password@host:port/dbname?sslmode=require" (also postgresql://; percent-encoded parts
  /// are decoded, so a socket directory is written %2Fvar%2Frun%2Fpostgresql) — dj-database-url's forms.
  /// Throws ImproperlyConfigured on another scheme or a malformed URL.
  static DatabaseSettings from_url(std::string_view url);

  /// The libpq connection string for a PostgreSQL entry: "host='...' port='...' dbname='...' ..." from the
  /// fields that are set, then `options`, each value quoted for libpq. A user's `options` keyword (server
  /// settings, "-c statement_timeout=5s") keeps "-c TimeZone=UTC" in front: the ORM's datetimes are UTC.
  std::string conninfo() const;
};

/// "sqlite" or "postgresql": the engine of `alias` as configured, without opening a connection (the
/// compiler chooses its SQL dialect by it). Throws ImproperlyConfigured for an unknown alias.
std::string_view vendor_of(std::string_view alias = DEFAULT_DB_ALIAS);

using Databases = std::map<std::string, DatabaseSettings, std::less<>>;

/// Replaces the configuration. Connections opened under the old one are reopened by each thread on its next
/// use of the alias. Thread-safe.
void configure(Databases databases);
/// configure({{"default", DatabaseSettings::from_url(getenv("DATABASE_URL"))}}) when DATABASE_URL is set;
/// returns false (and changes nothing) when it is not.
bool configure_from_env();
/// The current configuration of `alias`; throws ImproperlyConfigured for an unknown alias.
DatabaseSettings database_settings(std::string_view alias = DEFAULT_DB_ALIAS);
Databases databases();
/// Bumped by each configure(); per-thread connections compare it to know they are stale.
std::uint64_t configuration_generation() noexcept;

}  // namespace duet::db
