#include "duet/db/migrations/writer.hpp"

#include <fmt/format.h>

#include <sstream>

namespace duet::db::migrations {

namespace source {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string value(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "nullptr";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          std::string s = fmt::format("{}", x);
          if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stays a double when read back
          return s;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return quoted(x);
        } else {
          std::string out = "duet::db::Blob{";
          for (std::size_t i = 0; i < x.size(); ++i)
            out += fmt::format("{}0x{:02x}", i ? ", " : "", x[i]);
          return out + "}";
        }
      },
      v.storage());
}

namespace {
std::string_view on_delete_name(OnDelete o) {
  switch (o) {
    case OnDelete::Cascade:
      return "CASCADE";
    case OnDelete::Protect:
      return "PROTECT";
    case OnDelete::Restrict:
      return "RESTRICT";
    case OnDelete::SetNull:
      return "SET_NULL";
    case OnDelete::SetDefault:
      return "SET_DEFAULT";
    case OnDelete::DoNothing:
      return "DO_NOTHING";
  }
  return "CASCADE";
}
}  // namespace

std::string field(const Field& f) {
  std::string out = fmt::format("Field({}, FieldType::{}", quoted(f.name), field_type_name(f.type));
  if (f.is_relation()) out += ", " + quoted(f.to);
  out += ")";
  if (f.primary_key_) out += ".primary_key()";
  if (f.max_length_) out += fmt::format(".max_length({})", *f.max_length_);
  if (f.max_digits_) out += fmt::format(".max_digits({})", f.max_digits_);
  if (f.decimal_places_) out += fmt::format(".decimal_places({})", f.decimal_places_);
  if (f.null_) out += ".null()";
  if (f.blank_) out += ".blank()";
  if (f.unique_) out += ".unique()";
  if (f.db_index_) out += ".db_index()";
  if (f.default_value) out += ".default_(" + value(*f.default_value) + ")";
  if (!f.column.empty()) out += ".db_column(" + quoted(f.column) + ")";
  if (f.on_delete_) out += fmt::format(".on_delete({})", on_delete_name(*f.on_delete_));
  if (!f.related_name_.empty()) out += ".related_name(" + quoted(f.related_name_) + ")";
  return out;
}

std::string strings(const std::vector<std::string>& list) {
  std::string out = "{";
  for (std::size_t i = 0; i < list.size(); ++i)
    out += (i ? ", " : "") + quoted(list[i]);
  return out + "}";
}

std::string index(const Index& i) {
  return fmt::format("Index{{.fields = {}, .name = {}}}", strings(i.fields), quoted(i.name));
}

std::string constraint(const Constraint& c) {
  if (auto* u = std::get_if<UniqueConstraint>(&c))
    return fmt::format("UniqueConstraint{{.fields = {}, .name = {}}}", strings(u->fields), quoted(u->name));
  auto& ch = std::get<CheckConstraint>(c);
  return fmt::format("CheckConstraint{{.check = {}, .name = {}}}", quoted(ch.check), quoted(ch.name));
}

std::string through(const ThroughTable& t) {
  return fmt::format(
      "ThroughTable{{.field = {}, .to = {}, .db_table = {}, .from_column = {}, .to_column = {}}}",
      quoted(t.field), quoted(t.to), quoted(t.db_table), quoted(t.from_column), quoted(t.to_column));
}

// Every member is written, empty or not: g++ warns (-Wmissing-field-initializers) about designated
// initializers that leave members out.
std::string options(const ModelOptions& o) {
  std::string constraints = "{";
  for (std::size_t i = 0; i < o.constraints.size(); ++i)
    constraints += (i ? ", " : "") + constraint(o.constraints[i]);
  std::string indexes = "{";
  for (std::size_t i = 0; i < o.indexes.size(); ++i)
    indexes += (i ? ", " : "") + index(o.indexes[i]);
  return fmt::format("ModelOptions{{.db_table = {}, .ordering = {}, .constraints = {}}}, .indexes = {}}}}}",
                     quoted(o.db_table), strings(o.ordering), constraints, indexes);
}

}  // namespace source

namespace {
// Indents every line of a multi-line operation by `pad`.
std::string indent(std::string_view text, std::string_view pad) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += std::string(pad) + std::string(line);
    if (nl == std::string_view::npos) break;
    out += "\n";
    start = nl + 1;
  }
  return out;
}
}  // namespace

std::string write_migration(const Migration& m) {
  std::ostringstream out;
  out << "// Generated by duet makemigrations. Review it, edit it if needed, commit it; it is compiled into\n"
      << "// the binary (see docs/migrations.md).\n"
      << "#include <duet/db/migrations.hpp>\n\n"
      << "namespace {\n"
      << "using namespace duet::db::migrations;\n\n"
      << "const Registration migration{{\n"
      << "    .app = " << source::quoted(m.app) << ",\n"
      << "    .name = " << source::quoted(m.name) << ",\n"
      << "    .dependencies = {";
  for (std::size_t i = 0; i < m.dependencies.size(); ++i) {
    out << (i ? ", " : "") << "{" << source::quoted(m.dependencies[i].app) << ", "
        << source::quoted(m.dependencies[i].name) << "}";
  }
  out << "},\n    .operations = {\n";
  for (auto& op : m.operations)
    out << indent(op->to_source(), "        ") << ",\n";
  out << "    },\n";
  out << "    .atomic = " << (m.atomic ? "true" : "false") << ",\n";
  out << "}};\n\n}  // namespace\n";
  return out.str();
}

}  // namespace duet::db::migrations
