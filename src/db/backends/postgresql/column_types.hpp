// PostgreSQL's column type for each field type, as Django's PostgreSQL backend declares them (data_types in
// django/db/backends/postgresql/base.py, Django 3.2): serial keys, timestamptz, numeric(m, d), jsonb, uuid.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>

#include "duet/db/models/fields.hpp"

namespace duet::db::postgresql {

/// The type of a column holding `type`. Keys (ForeignKey/OneToOneField) take their target's primary key type
/// through key_column_type, which the caller resolves, so they are not handled here.
inline std::string column_type(FieldType type, std::optional<int> max_length, int max_digits = 0,
                               int decimal_places = 0) {
  switch (type) {
    case FieldType::AutoField:
      return "serial";
    case FieldType::BigAutoField:
      return "bigserial";
    case FieldType::IntegerField:
      return "integer";
    case FieldType::BigIntegerField:
      return "bigint";
    case FieldType::FloatField:
      return "double precision";
    case FieldType::DecimalField:
      return fmt::format("numeric({}, {})", max_digits, decimal_places);
    case FieldType::BooleanField:
      return "boolean";
    case FieldType::CharField:
      return fmt::format("varchar({})", max_length.value_or(255));
    case FieldType::TextField:
      return "text";
    case FieldType::JSONField:
      return "jsonb";
    case FieldType::DateTimeField:
      return "timestamp with time zone";
    case FieldType::DateField:
      return "date";
    case FieldType::UUIDField:
      return "uuid";
    case FieldType::BinaryField:
      return "bytea";
    default:
      return "text";
  }
}

/// A key column's type from its target's primary key (Django's rel_db_type): a serial key is referenced as
/// integer, a bigserial one as bigint, anything else as its own type.
inline std::string key_column_type(FieldType target_type, std::optional<int> target_max_length,
                                   int max_digits = 0, int decimal_places = 0) {
  if (target_type == FieldType::AutoField) return "integer";
  if (target_type == FieldType::BigAutoField) return "bigint";
  return column_type(target_type, target_max_length, max_digits, decimal_places);
}

/// Django's _field_data_type before formatting: two fields with the same template ("varchar(%s)") change
/// type without a USING cast, as Django's PostgreSQL editor decides.
inline std::string_view type_family(FieldType type) {
  switch (type) {
    case FieldType::AutoField:
    case FieldType::IntegerField:
      return "integer";
    case FieldType::BigAutoField:
    case FieldType::BigIntegerField:
      return "bigint";
    default:
      return field_type_name(type);
  }
}

}  // namespace duet::db::postgresql
