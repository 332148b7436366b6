// The database layer's exceptions, named as Django names them (django.db.utils, django.core.exceptions).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "duet/runtime/safety.hpp"

namespace duet::db {

/// PEP 249's hierarchy, as Django re-exports it: every error raised by a backend is a DatabaseError.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class InterfaceError : public Error {
 public:
  using Error::Error;
};
class DatabaseError : public Error {
 public:
  using Error::Error;
  /// A server error with its SQLSTATE code ("23505"), as PostgreSQL reports it (psycopg2's pgcode).
  DatabaseError(const std::string& message, std::string sqlstate)
      : Error(message), sqlstate_(std::move(sqlstate)) {}
  /// Empty when the backend gives none (SQLite).
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};
/// A constraint failed: UNIQUE, NOT NULL, FOREIGN KEY, CHECK.
class IntegrityError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// The database could not do it: no such table, locked past the busy timeout, disk I/O, bad SQL.
class OperationalError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// The program misused the API: wrong number of parameters, a closed connection, a query on no table.
class ProgrammingError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// A value does not fit: too big, wrong type for the column.
class DataError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
class InternalError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
class NotSupportedError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// A value is not acceptable for the operation (Python's ValueError, which Django raises in these cases).
class ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// An operation that does not apply to this object (Python's TypeError): filtering a sliced QuerySet.
class TypeError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Settings are missing or contradictory (an unknown alias, a model declared wrongly).
class ImproperlyConfigured : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A lookup names a field that does not exist ("Cannot resolve keyword 'nme' into field. Choices are: ...").
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Base of every Model::DoesNotExist: get() found no row.
class ObjectDoesNotExist : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// get() found more than one row.
class MultipleObjectsReturned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Deleting would remove rows that a ForeignKey with on_delete=PROTECT (or RESTRICT) still points to.
class ProtectedError : public IntegrityError {
 public:
  using IntegrityError::IntegrityError;
};
class RestrictedError : public IntegrityError {
 public:
  using IntegrityError::IntegrityError;
};

/// A model instance failed full_clean(); `what()` lists every field error ("title: This field cannot be
/// blank.").
class ValidationError : public std::runtime_error {
 public:
  ValidationError(std::string message, std::vector<std::pair<std::string, std::string>> errors = {})
      : std::runtime_error(std::move(message)), errors_(std::move(errors)) {}
  /// (field name, message) pairs; the field is "__all__" for errors of the whole instance.
  const std::vector<std::pair<std::string, std::string>>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::pair<std::string, std::string>> errors_;
};

/// Thrown in async code by a ForeignKey that was not loaded: its lazy fetch would block the event loop.
class RelatedObjectNotLoaded : public SynchronousOnlyOperation {
 public:
  using SynchronousOnlyOperation::SynchronousOnlyOperation;
};

/// Raised by atomic() when the transaction was marked for rollback by an inner error that was caught.
class TransactionManagementError : public ProgrammingError {
 public:
  using ProgrammingError::ProgrammingError;
};

}  // namespace duet::db
