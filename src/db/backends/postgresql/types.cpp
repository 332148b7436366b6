// Values to libpq parameters and back by type OID; server errors to the ORM's exceptions by SQLSTATE.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "detail.hpp"

namespace duet::db::postgresql::detail {

namespace {

// pg_type.h's OIDs (the server headers are not needed for these stable numbers).
constexpr Oid BOOLOID = 16, BYTEAOID = 17, INT8OID = 20, INT2OID = 21, INT4OID = 23, OIDOID = 26,
              FLOAT4OID = 700, FLOAT8OID = 701, TIMESTAMPOID = 1114, TIMESTAMPTZOID = 1184, NUMERICOID = 1700;

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

Value decode_int(const char* text, int length) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text, text + length, v);
  if (ec != std::errc() || end != text + length) return Value(std::string(text, length));
  return Value(v);
}

Value decode_double(const char* text, int length) {
  std::string_view s(text, length);
  if (s == "NaN") return Value(std::nan(""));
  if (s == "Infinity") return Value(HUGE_VAL);
  if (s == "-Infinity") return Value(-HUGE_VAL);
  double v = 0;
  auto [end, ec] = std::from_chars(text, text + length, v);
  if (ec != std::errc() || end != text + length) return Value(std::string(s));
  return Value(v);
}

Value decode_bytea(const char* text) {
  std::size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
  if (!raw) throw DataError("invalid bytea value from the server");
  Blob blob(raw, raw + n);
  PQfreemem(raw);
  return Value(std::move(blob));
}

Value decode_timestamp(const char* text, int length) {
  // The session runs in UTC, so timestamptz arrives as "...+00"; 'infinity' and BC dates stay text.
  std::string_view s(text, length);
  if (s.size() > 3 && s.substr(s.size() - 3) == "+00") s.remove_suffix(3);
  try {
    return Value(parse_datetime(s));
  } catch (const DataError&) {
    return Value(std::string(text, length));
  }
}

}  // namespace

void bind(const std::vector<Value>& params, BoundParams& b) {
  const std::size_t n = params.size();
  // Bounded by the protocol: a Bind message carries at most 65535 parameters.
  if (n > 65535) throw ProgrammingError(fmt::format("too many parameters ({}; at most 65535)", n));
  // Reused buffers (the async connection binds every query into the same one): resize() keeps capacity,
  // and `text` is sized first so the pointers into it taken below stay valid.
  if (b.text.size() < n) b.text.resize(n);
  if (b.numbers.size() < n) b.numbers.resize(n);
  b.values.resize(n);
  b.lengths.resize(n);
  b.formats.resize(n);
  b.types.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    b.values[i] = nullptr;  // NULL unless set below
    b.lengths[i] = 0;
    b.formats[i] = 0;
    b.types[i] = 0;
    const auto& st = params[i].storage();
    if (auto* iv = std::get_if<std::int64_t>(&st)) {
      auto& digits = b.numbers[i];
      *std::to_chars(digits.data(), digits.data() + digits.size() - 1, *iv).ptr = '\0';
      b.values[i] = digits.data();
    } else if (auto* dv = std::get_if<double>(&st)) {
      b.text[i] = format_double(*dv);
      b.values[i] = b.text[i].c_str();
      // Typed: left unknown, "1.5" next to an integer column would be parsed as an integer and fail.
      b.types[i] = FLOAT8OID;
    } else if (auto* sv = std::get_if<std::string>(&st)) {
      if (std::memchr(sv->data(), 0, sv->size())) {
        throw DataError("a text parameter contains a NUL character, which PostgreSQL text cannot hold");
      }
      b.values[i] = sv->c_str();
    } else if (auto* bv = std::get_if<Blob>(&st)) {
      // Bytes go in binary format: no escaping, no size blow-up.
      static const char empty = 0;
      b.values[i] = bv->empty() ? &empty : reinterpret_cast<const char*>(bv->data());
      b.lengths[i] = static_cast<int>(bv->size());
      b.formats[i] = 1;
      b.types[i] = BYTEAOID;
    }
  }
}

BoundParams bind(const std::vector<Value>& params) {
  BoundParams b;
  bind(params, b);
  return b;
}

bool is_int_type(Oid type) noexcept {
  return type == INT2OID || type == INT4OID || type == INT8OID || type == OIDOID;
}

bool is_text_type(Oid type) noexcept {
  switch (type) {
    case BOOLOID:
    case BYTEAOID:
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case OIDOID:
    case FLOAT4OID:
    case FLOAT8OID:
    case NUMERICOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return false;
    default:
      return true;  // decode()'s default: the text itself
  }
}

Value decode(Oid type, const char* text, int length) {
  switch (type) {
    case BOOLOID:
      return Value(length == 1 && text[0] == 't');
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case OIDOID:
      return decode_int(text, length);
    case FLOAT4OID:
    case FLOAT8OID:
      return decode_double(text, length);
    case BYTEAOID:
      return decode_bytea(text);
    case NUMERICOID:
      // SUM() of bigint is numeric: a whole number comes back as an integer (as SQLite's SUM gives, and as
      // Django converts it); a fraction stays exact decimal text (DecimalField).
      if (std::memchr(text, '.', length) == nullptr) {
        Value v = decode_int(text, length);
        if (v.is_int()) return v;
      }
      return Value(std::string(text, length));
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return decode_timestamp(text, length);
    default:
      // numeric (exact decimal text, as DecimalField stores it), date, uuid, json/jsonb, text, varchar, ...
      return Value(std::string(text, length));
  }
}

Result convert(const PGresult* r) {
  Result out;
  const int ncols = PQnfields(r), nrows = PQntuples(r);
  out.columns.reserve(ncols);
  // Most results have a few columns: their types on the stack, not in another allocation per query.
  Oid few[16];
  std::vector<Oid> many;
  Oid* types = few;
  if (ncols > 16) {
    many.resize(ncols);
    types = many.data();
  }
  for (int c = 0; c < ncols; ++c) {
    out.columns.emplace_back(PQfname(r, c));
    types[c] = PQftype(r, c);
  }
  out.rows.reserve(nrows);
  for (int row = 0; row < nrows; ++row) {
    Row& values = out.rows.emplace_back();  // filled in place: no move of the row
    values.reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(r, row, c)) {
        values.emplace_back();
      } else {
        values.emplace_back(decode(types[c], PQgetvalue(r, row, c), PQgetlength(r, row, c)));
      }
    }
  }
  const char* tuples = PQcmdTuples(const_cast<PGresult*>(r));
  if (tuples && *tuples) {
    out.rows_affected = std::strtoll(tuples, nullptr, 10);
  } else {
    out.rows_affected = nrows;
  }
  return out;
}

}  // namespace duet::db::postgresql::detail

namespace duet::db::postgresql {

RawRows& RawRows::operator=(RawRows&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

RawRows::~RawRows() {
  if (result_) PQclear(result_);
}

std::size_t RawRows::size() const noexcept {
  return result_ ? static_cast<std::size_t>(PQntuples(result_)) : 0;
}

std::size_t RawRows::columns() const noexcept {
  return result_ ? static_cast<std::size_t>(PQnfields(result_)) : 0;
}

Value RawRows::value(std::size_t row, std::size_t column) const {
  const int r = static_cast<int>(row), c = static_cast<int>(column);
  const char* text = PQgetvalue(result_, r, c);
  // libpq gives a NULL as an empty string (and a position out of range as a null pointer): only those need
  // asking whether the value is NULL, one libpq call less for every other value.
  if (!text || (!*text && PQgetisnull(result_, r, c))) return Value();
  return detail::decode(PQftype(result_, c), text, PQgetlength(result_, r, c));
}

bool RawRows::int_at(std::size_t row, std::size_t column, std::int64_t& out) const {
  const int r = static_cast<int>(row), c = static_cast<int>(column);
  if (!detail::is_int_type(PQftype(result_, c))) return false;
  const char* p = PQgetvalue(result_, r, c);
  if (!p) return false;
  // libpq ends every value with a NUL: read up to it, without asking its length. Up to 18 digits cannot
  // overflow; longer ones, an empty text (a NULL) and anything else are value()'s.
  const bool negative = *p == '-';
  if (negative) ++p;
  const char* digits = p;
  std::uint64_t v = 0;
  for (unsigned d; (d = static_cast<unsigned char>(*p) - unsigned{'0'}) <= 9; ++p)
    v = v * 10 + d;
  if (p == digits || *p != '\0' || p - digits > 18) return false;
  out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

bool RawRows::text_at(std::size_t row, std::size_t column, std::string_view& out) const {
  const int r = static_cast<int>(row), c = static_cast<int>(column);
  if (!detail::is_text_type(PQftype(result_, c))) return false;
  const char* text = PQgetvalue(result_, r, c);
  if (!text || (!*text && PQgetisnull(result_, r, c))) return false;
  out = std::string_view(text, static_cast<std::size_t>(PQgetlength(result_, r, c)));
  return true;
}

Row RawRows::row(std::size_t row) const {
  Row out;
  const std::size_t n = columns();
  out.reserve(n);
  for (std::size_t c = 0; c < n; ++c)
    out.push_back(value(row, c));
  return out;
}

}  // namespace duet::db::postgresql

namespace duet::db::postgresql::detail {

TransactionStatus transaction_status_of(const PGconn* conn) noexcept {
  if (!conn) return TransactionStatus::unknown;
  switch (PQtransactionStatus(conn)) {
    case PQTRANS_IDLE:
      return TransactionStatus::idle;
    case PQTRANS_ACTIVE:
      return TransactionStatus::active;
    case PQTRANS_INTRANS:
      return TransactionStatus::in_transaction;
    case PQTRANS_INERROR:
      return TransactionStatus::in_error;
    default:
      return TransactionStatus::unknown;
  }
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::exception_ptr make_error(const PGresult* r, std::string_view sql) {
  const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string sqlstate = code ? code : "";
  std::string message = trimmed(PQresultErrorMessage(r));
  if (message.empty()) message = "unknown PostgreSQL error";
  if (!sql.empty()) message += fmt::format("\nSQL: {}", sql.substr(0, 500));
  const std::string cls = sqlstate.substr(0, 2);
  // psycopg2's mapping of SQLSTATE classes, which Django users see.
  if (cls == "23") return std::make_exception_ptr(IntegrityError(message, sqlstate));
  if (cls == "22") return std::make_exception_ptr(DataError(message, sqlstate));
  if (cls == "42" || cls == "21" || cls == "3D" || cls == "3F" || cls == "26") {
    return std::make_exception_ptr(ProgrammingError(message, sqlstate));
  }
  if (cls == "0A") return std::make_exception_ptr(NotSupportedError(message, sqlstate));
  if (cls == "XX" || cls == "24" || cls == "25" || cls == "2B" || cls == "2D" || cls == "2F" || cls == "34" ||
      cls == "38" || cls == "39" || cls == "3B") {
    return std::make_exception_ptr(InternalError(message, sqlstate));
  }
  if (cls.empty() && PQresultStatus(r) != PGRES_FATAL_ERROR) {
    return std::make_exception_ptr(DatabaseError(message, sqlstate));
  }
  // 08 connection, 40 rollback (serialization, deadlock), 53 resources, 55, 57 operator intervention
  // (terminated backend, shutdown), 58 system, 28 authentication, and anything unclassified.
  return std::make_exception_ptr(OperationalError(message, sqlstate));
}

std::exception_ptr connection_error(std::string message) {
  return std::make_exception_ptr(OperationalError(std::move(message)));
}

void check(const PGresult* r, std::string_view sql) {
  if (!r) std::rethrow_exception(connection_error("no result from the server (out of memory?)"));
  switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
      return;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      throw NotSupportedError("COPY is not supported by duet's PostgreSQL driver");
    default:
      std::rethrow_exception(make_error(r, sql));
  }
}

Keywords keywords(const Config& config) {
  Keywords k;
  // Fixed settings first; the user's conninfo (expanded from "dbname") comes after and may override them.
  k.keys = {"options", "client_encoding", "application_name", "dbname", nullptr};
  k.values = {"-c TimeZone=UTC", "UTF8", "duet", config.conninfo.empty() ? nullptr : config.conninfo.c_str(),
              nullptr};
  if (config.conninfo.empty()) {
    k.keys.erase(k.keys.begin() + 3);
    k.values.erase(k.values.begin() + 3);
  }
  return k;
}

}  // namespace duet::db::postgresql::detail
