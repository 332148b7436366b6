// What the async and the sync PostgreSQL connections share: parameters, result conversion, error mapping.
#pragma once

#include <libpq-fe.h>

#include <array>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/backends/postgresql/connection.hpp"

namespace duet::db::postgresql::detail {

/// Parameters as libpq wants them; the pointers point into `text` and the Values, so keep both alive.
struct BoundParams {
  std::vector<std::string> text;
  /// An integer parameter's text, NUL-terminated: written in place (no string assignment per value).
  std::vector<std::array<char, 24>> numbers;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<Oid> types;
  int count() const noexcept { return static_cast<int>(values.size()); }
};
BoundParams bind(const std::vector<Value>& params);
/// The same into `out`, reusing its buffers (the text of a parameter is only valid until the next bind).
void bind(const std::vector<Value>& params, BoundParams& out);

/// Converts a PGRES_TUPLES_OK or PGRES_COMMAND_OK result.
Result convert(const PGresult* result);
/// One value by its type OID (text format).
Value decode(Oid type, const char* text, int length);
/// The types decode() gives as an integer, and those it gives as their text unchanged.
bool is_int_type(Oid type) noexcept;
bool is_text_type(Oid type) noexcept;

/// The ORM exception for a failed result (chosen by SQLSTATE class), carrying the SQLSTATE.
std::exception_ptr make_error(const PGresult* result, std::string_view sql = {});
/// The same for a connection-level failure (no result): OperationalError.
std::exception_ptr connection_error(std::string message);
/// Throws make_error(...) when `result` is not a success.
void check(const PGresult* result, std::string_view sql);

/// The connection keywords every duet connection uses before the user's conninfo (UTC, UTF-8, a name).
struct Keywords {
  std::vector<const char*> keys;
  std::vector<const char*> values;
};
Keywords keywords(const Config& config);

/// libpq's transaction status of `conn` (unknown when null).
TransactionStatus transaction_status_of(const PGconn* conn) noexcept;

/// libpq's message without its trailing newline.
std::string trimmed(const char* message);

}  // namespace duet::db::postgresql::detail
