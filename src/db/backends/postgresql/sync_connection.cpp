// SyncConnection: blocking libpq for sync code (sync strands), one persistent connection per thread.
#include "duet/db/backends/postgresql/sync.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "detail.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db::postgresql {

struct SyncConnection::Statements {
  std::unordered_map<std::string, std::string> names;
  // Names are never reused within a session, also after one is forgotten.
  std::uint64_t next_id = 0;
};

SyncConnection::SyncConnection(Config config)
    : config_(std::move(config)), statements_(std::make_unique<Statements>()) {
  ensure_sync_context("PostgreSQL SyncConnection", "AsyncConnection::connect() or Pool");
  ensure_connected();
}

SyncConnection::~SyncConnection() {
  close();
}

void SyncConnection::close() noexcept {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  statements_->names.clear();
}

bool SyncConnection::is_broken() const noexcept {
  return !conn_ || PQstatus(conn_) == CONNECTION_BAD;
}
int SyncConnection::backend_pid() const noexcept {
  return conn_ ? PQbackendPID(conn_) : 0;
}
std::size_t SyncConnection::prepared_statements() const noexcept {
  return statements_->names.size();
}

void SyncConnection::ensure_connected() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return;
  close();
  auto k = detail::keywords(config_);
  // libpq's connect_timeout is in whole seconds (at least 2 are honoured).
  std::string timeout =
      std::to_string(std::max<long long>(2, (config_.connect_timeout.count() + 999) / 1000));
  k.keys.insert(k.keys.begin(), "connect_timeout");
  k.values.insert(k.values.begin(), timeout.c_str());
  conn_ = PQconnectdbParams(k.keys.data(), k.values.data(), 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string reason = conn_ ? detail::trimmed(PQerrorMessage(conn_)) : "out of memory";
    close();
    throw OperationalError(fmt::format("could not connect to PostgreSQL: {}", reason));
  }
  // Server NOTICEs (e.g. "drop cascades to ...") would go to stderr by default; psycopg2 keeps them quietly.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  ++connects_;
}

Result SyncConnection::query(std::string_view sql, const std::vector<Value>& params) {
  ensure_sync_context("PostgreSQL SyncConnection::query()", "AsyncConnection::query() or Pool::query()");
  ensure_connected();
  auto bound = detail::bind(params);
  std::string text(sql);
  // A statement is prepared with its parameters' types (bytea, float8, or left to the server), so the same
  // text bound with other types is another statement.
  std::string key = text;
  bool typed = false;
  for (Oid t : bound.types)
    typed = typed || t != 0;
  if (typed) {
    key += '\0';
    for (Oid t : bound.types)
      key += std::to_string(t) + ',';
  }
  PGresult* r = nullptr;
  auto it = statements_->names.find(key);
  if (it == statements_->names.end() && statements_->names.size() < config_.statement_cache_size) {
    std::string name = fmt::format("duet_{}", ++statements_->next_id);
    PGresult* prep = PQprepare(conn_, name.c_str(), text.c_str(), bound.count(), bound.types.data());
    std::exception_ptr error;
    try {
      detail::check(prep, sql);
    } catch (...) {
      error = std::current_exception();
    }
    if (!prep || PQresultStatus(prep) == PGRES_FATAL_ERROR) {
      if (is_broken() && !error) error = detail::connection_error(detail::trimmed(PQerrorMessage(conn_)));
    }
    PQclear(prep);
    if (error) std::rethrow_exception(error);
    it = statements_->names.emplace(key, name).first;
  }
  if (it != statements_->names.end()) {
    r = PQexecPrepared(conn_, it->second.c_str(), bound.count(), bound.values.data(), bound.lengths.data(),
                       bound.formats.data(), 0);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::string_view(state) == "0A000") {
      // "cached plan must not change result type": a table it reads changed shape since it was prepared (a
      // migration). Forget it; outside a transaction run it again unprepared (inside, the error has aborted
      // the transaction: the caller sees it, and the next use prepares afresh).
      std::string name = it->second;
      statements_->names.erase(it);
      it = statements_->names.end();
      if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
        PQclear(PQexec(conn_, ("DEALLOCATE " + name).c_str()));
        PQclear(r);
        r = PQexecParams(conn_, text.c_str(), bound.count(), bound.types.data(), bound.values.data(),
                         bound.lengths.data(), bound.formats.data(), 0);
      }
    }
  } else {
    r = PQexecParams(conn_, text.c_str(), bound.count(), bound.types.data(), bound.values.data(),
                     bound.lengths.data(), bound.formats.data(), 0);
  }
  if (!r) {
    throw OperationalError(
        fmt::format("the PostgreSQL connection was lost: {}", detail::trimmed(PQerrorMessage(conn_))));
  }
  std::exception_ptr error;
  Result out;
  try {
    detail::check(r, sql);
    out = detail::convert(r);
  } catch (...) {
    error = std::current_exception();
  }
  PQclear(r);
  if (error) std::rethrow_exception(error);
  return out;
}

std::int64_t SyncConnection::execute(std::string_view sql, const std::vector<Value>& params) {
  return query(sql, params).rows_affected;
}

void SyncConnection::execute_script(std::string_view sql) {
  ensure_sync_context("PostgreSQL SyncConnection::execute_script()", "AsyncConnection::query()");
  ensure_connected();
  std::string text(sql);
  if (!PQsendQuery(conn_, text.c_str())) {
    throw OperationalError(
        fmt::format("the PostgreSQL connection was lost: {}", detail::trimmed(PQerrorMessage(conn_))));
  }
  // Every statement's result must be consumed before the connection is usable again; the first error wins.
  std::exception_ptr error;
  while (PGresult* r = PQgetResult(conn_)) {
    if (!error) {
      try {
        detail::check(r, sql);
      } catch (...) {
        error = std::current_exception();
      }
    }
    PQclear(r);
  }
  if (!error && is_broken()) {
    error = detail::connection_error(
        fmt::format("the PostgreSQL connection was lost: {}", detail::trimmed(PQerrorMessage(conn_))));
  }
  if (error) std::rethrow_exception(error);
}

TransactionStatus SyncConnection::transaction_status() const noexcept {
  return detail::transaction_status_of(conn_);
}

namespace {
thread_local std::map<std::string, std::unique_ptr<SyncConnection>> thread_connections;
}

SyncConnection& sync_connection(const Config& config) {
  ensure_sync_context("postgresql::sync_connection()", "a Pool on the loop");
  auto& slot = thread_connections[config.conninfo];
  if (!slot) slot = std::make_unique<SyncConnection>(config);
  return *slot;
}

void close_sync_connections() {
  thread_connections.clear();
}

}  // namespace duet::db::postgresql
