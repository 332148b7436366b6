// SQLite's column type for each field type, as Django's SQLite backend declares them (data_types). One
// table for both schema editors: the one creating tables from declared models and the migrations' one.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>

#include "duet/db/models/fields.hpp"

namespace duet::db::sqlite {

/// The type of a column holding `type`; keys (ForeignKey/OneToOneField) take their target's primary key
/// type, which the caller resolves, so they are not handled here.
inline std::string column_type(FieldType type, std::optional<int> max_length) {
  switch (type) {
    case FieldType::AutoField:
    case FieldType::BigAutoField:
    case FieldType::IntegerField:
      return "integer";
    case FieldType::BigIntegerField:
      return "bigint";
    case FieldType::FloatField:
      return "real";
    case FieldType::DecimalField:
      return "decimal";
    case FieldType::BooleanField:
      return "bool";
    case FieldType::CharField:
      return fmt::format("varchar({})", max_length.value_or(255));
    case FieldType::TextField:
    case FieldType::JSONField:
      return "text";
    case FieldType::DateTimeField:
      return "datetime";
    case FieldType::DateField:
      return "date";
    case FieldType::UUIDField:
      return "char(32)";
    case FieldType::BinaryField:
      return "BLOB";
    default:
      return "text";
  }
}

/// A key column's type from its target's primary key: an auto primary key is stored as bigint.
inline std::string key_column_type(FieldType target_type, std::optional<int> target_max_length) {
  return target_type == FieldType::BigAutoField ? "bigint" : column_type(target_type, target_max_length);
}

}  // namespace duet::db::sqlite
