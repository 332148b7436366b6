// What a database backend implements behind duet::db::Connection (Django's BaseDatabaseWrapper split from
// its per-vendor subclasses). SQL arrives with `?` parameters, as the compiler writes it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "duet/db/connection.hpp"

namespace duet::db {

class Connection::Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view vendor() const noexcept = 0;
  virtual std::int64_t execute(std::string_view sql, const std::vector<Value>& params) = 0;
  virtual std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) = 0;
  virtual void for_each(std::string_view sql, const std::vector<Value>& params,
                        const std::function<void(const Row&)>& on_row) = 0;
  virtual std::unique_ptr<Cursor::Impl> cursor(std::string_view sql, const std::vector<Value>& params) = 0;
  virtual void execute_script(std::string_view sql) = 0;
  /// The statement that opens an atomic block's transaction.
  virtual std::string begin_sql(const DatabaseSettings& settings) const = 0;
  virtual bool in_transaction() const = 0;
  virtual std::int64_t last_insert_rowid() const = 0;
  virtual sqlite3* native() const noexcept { return nullptr; }
};

namespace detail {
std::unique_ptr<Connection::Backend> make_sqlite_backend(const DatabaseSettings& settings);
std::unique_ptr<Connection::Backend> make_postgresql_backend(const DatabaseSettings& settings);
}  // namespace detail

}  // namespace duet::db
