// Connection: the backend-neutral API over one backend, and the per-thread connections.
#include "duet/db/connection.hpp"

#include <fmt/format.h>

#include <map>

#include "db/backends/backend.hpp"
#include "duet/db/exceptions.hpp"
#include "transaction_boundary.hpp"

namespace duet::db {

namespace detail {

std::string quote_name(std::string_view name) {
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace detail

namespace {
std::unique_ptr<Connection::Backend> make_backend(const DatabaseSettings& settings) {
  if (settings.engine == "postgresql") return detail::make_postgresql_backend(settings);
  return detail::make_sqlite_backend(settings);
}
}  // namespace

Connection::Connection(std::string alias, DatabaseSettings settings)
    : alias_(std::move(alias)), settings_(std::move(settings)) {
  generation_ = configuration_generation();
  backend_ = make_backend(settings_);
}

Connection::~Connection() = default;

std::string_view Connection::vendor() const noexcept {
  return backend_->vendor();
}

sqlite3* Connection::native() const noexcept {
  return backend_->native();
}

std::int64_t Connection::execute(std::string_view sql, const std::vector<Value>& params) {
  detail::refuse_beside_pinned_transaction(alias_);
  ++queries_;
  return backend_->execute(sql, params);
}

std::vector<Row> Connection::query(std::string_view sql, const std::vector<Value>& params) {
  detail::refuse_beside_pinned_transaction(alias_);
  ++queries_;
  return backend_->query(sql, params);
}

void Connection::for_each(std::string_view sql, const std::vector<Value>& params,
                          const std::function<void(const Row&)>& on_row) {
  detail::refuse_beside_pinned_transaction(alias_);
  ++queries_;
  backend_->for_each(sql, params, on_row);
}

std::unique_ptr<Cursor> Connection::cursor(std::string_view sql, const std::vector<Value>& params) {
  detail::refuse_beside_pinned_transaction(alias_);
  ++queries_;
  return std::make_unique<Cursor>(backend_->cursor(sql, params));
}

void Connection::execute_script(std::string_view sql) {
  detail::refuse_beside_pinned_transaction(alias_);
  ++queries_;
  backend_->execute_script(sql);
}

std::int64_t Connection::last_insert_rowid() const {
  return backend_->last_insert_rowid();
}

bool Connection::in_transaction() const {
  return backend_->in_transaction();
}

Cursor::~Cursor() = default;

bool Cursor::fetch(Row& row) {
  return impl_->fetch(row);
}

std::size_t Cursor::column_count() const noexcept {
  return impl_->column_count();
}

namespace {
// One connection per (thread, alias): the sync strands of the runtime are pooled threads, so a
// connection opened here serves every later request that leases the same thread.
thread_local std::map<std::string, std::unique_ptr<Connection>, std::less<>> tls_connections;
}  // namespace

Connection& ConnectionHandler::operator[](std::string_view alias) const {
  auto it = tls_connections.find(alias);
  if (it != tls_connections.end()) {
    // A configure() since it was opened: reopen, unless a transaction is open on it (finish that first).
    if (it->second->generation() == configuration_generation() || it->second->in_atomic_block()) {
      return *it->second;
    }
    tls_connections.erase(it);
  }
  auto settings = database_settings(alias);
  auto conn = std::make_unique<Connection>(std::string(alias), std::move(settings));
  auto& ref = *conn;
  tls_connections.insert_or_assign(std::string(alias), std::move(conn));
  return ref;
}

void ConnectionHandler::close_all() const {
  tls_connections.clear();
}

}  // namespace duet::db
