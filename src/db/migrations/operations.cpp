#include "duet/db/migrations/operations.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "duet/db/exceptions.hpp"
#include "duet/db/migrations/schema_editor.hpp"
#include "duet/db/migrations/writer.hpp"

namespace duet::db::migrations {

namespace {
std::string lower(std::string_view s) {
  return db::detail::lower(s);
}

std::map<std::string, std::string> single_rename(const std::string& to, const std::string& from) {
  return {{to, from}};
}
}  // namespace

void OperationBase::database_backwards(const std::string&, SchemaEditor&, const ProjectState&,
                                       const ProjectState&) const {
  throw NotSupportedError(fmt::format("Operation '{}' is not reversible", describe()));
}

// CreateModel -------------------------------------------------------------------------------------------

void CreateModel::state_forwards(const std::string& app, ProjectState& state) const {
  int pks = 0;
  for (auto& f : fields)
    pks += f.primary_key_;
  if (pks != 1)
    throw FieldError(fmt::format("CreateModel {}.{}: a model has exactly one primary key", app, name));
  state.add_model(ModelState{app, name, fields, options, many_to_many});
}

void CreateModel::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                    const ProjectState& to) const {
  e.create_model(to.model(app, name), to);
}

void CreateModel::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                     const ProjectState&) const {
  e.delete_model(from.model(app, name));
}

std::string CreateModel::describe() const {
  return "Create model " + name;
}
std::string CreateModel::name_fragment() const {
  return lower(name);
}

std::string CreateModel::to_source() const {
  std::string out = "CreateModel(\n    " + source::quoted(name) + ",\n    {\n";
  for (auto& f : fields)
    out += "        " + source::field(f) + ",\n";
  out += "    }";
  const bool has_m2m = !many_to_many.empty();
  if (!(options == ModelOptions{}) || has_m2m) out += ",\n    " + source::options(options);
  if (has_m2m) {
    out += ",\n    {\n";
    for (auto& t : many_to_many)
      out += "        " + source::through(t) + ",\n";
    out += "    }";
  }
  return out + ")";
}

// DeleteModel -------------------------------------------------------------------------------------------

void DeleteModel::state_forwards(const std::string& app, ProjectState& state) const {
  state.remove_model(app, name);
}

void DeleteModel::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                    const ProjectState&) const {
  e.delete_model(from.model(app, name));
}

void DeleteModel::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                     const ProjectState& to) const {
  e.create_model(to.model(app, name), to);
}

std::string DeleteModel::describe() const {
  return "Delete model " + name;
}
std::string DeleteModel::name_fragment() const {
  return "delete_" + lower(name);
}
std::string DeleteModel::to_source() const {
  return "DeleteModel(" + source::quoted(name) + ")";
}

// AddField ----------------------------------------------------------------------------------------------

void AddField::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (m.find_field(field.name))
    throw FieldError(fmt::format("AddField: {} already has a field '{}'", m.label(), field.name));
  m.fields.push_back(field);
}

void AddField::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                 const ProjectState& to) const {
  const ModelState& after = to.model(app, model_name);
  e.add_field(from.model(app, model_name), after, *after.find_field(field.name), to);
}

void AddField::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                  const ProjectState& to) const {
  const ModelState& with = from.model(app, model_name);
  e.remove_field(with, to.model(app, model_name), *with.find_field(field.name), to);
}

std::string AddField::describe() const {
  return fmt::format("Add field {} to {}", field.name, lower(model_name));
}
std::string AddField::name_fragment() const {
  return lower(model_name) + "_" + field.name;
}
std::string AddField::to_source() const {
  return fmt::format("AddField({}, {})", source::quoted(model_name), source::field(field));
}

// RemoveField -------------------------------------------------------------------------------------------

void RemoveField::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  auto it = std::find_if(m.fields.begin(), m.fields.end(), [&](const Field& f) { return f.name == name; });
  if (it == m.fields.end())
    throw FieldError(fmt::format("RemoveField: {} has no field '{}'", m.label(), name));
  if (it->primary_key_)
    throw FieldError(fmt::format("RemoveField: {}.{} is the primary key", m.label(), name));
  m.fields.erase(it);
  // Indexes and constraints over the field go with it, as both databases drop them with the column.
  auto uses = [&](const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return n == name || (!n.empty() && n[0] == '-' && n.substr(1) == name);
    });
  };
  std::erase_if(m.options.indexes, [&](const Index& i) { return uses(i.fields); });
  std::erase_if(m.options.constraints, [&](const Constraint& c) {
    auto* u = std::get_if<UniqueConstraint>(&c);
    return u && uses(u->fields);
  });
}

void RemoveField::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                    const ProjectState& to) const {
  const ModelState& with = from.model(app, model_name);
  e.remove_field(with, to.model(app, model_name), *with.find_field(name), to);
}

void RemoveField::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                     const ProjectState& to) const {
  const ModelState& with = to.model(app, model_name);
  e.add_field(from.model(app, model_name), with, *with.find_field(name), to);
}

std::string RemoveField::describe() const {
  return fmt::format("Remove field {} from {}", name, lower(model_name));
}
std::string RemoveField::name_fragment() const {
  return "remove_" + lower(model_name) + "_" + name;
}
std::string RemoveField::to_source() const {
  return fmt::format("RemoveField({}, {})", source::quoted(model_name), source::quoted(name));
}

// AlterField --------------------------------------------------------------------------------------------

void AlterField::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  Field* f = m.find_field(field.name);
  if (!f) throw FieldError(fmt::format("AlterField: {} has no field '{}'", m.label(), field.name));
  *f = field;
}

namespace {
// Either direction: `from` is the state being left, `to` the one being reached.
void alter_between(const std::string& app, SchemaEditor& e, const ProjectState& from, const ProjectState& to,
                   const std::string& model, const std::string& field) {
  const ModelState& a = from.model(app, model);
  const ModelState& b = to.model(app, model);
  e.alter_field(a, b, *a.find_field(field), *b.find_field(field), from, to);
}
}  // namespace

void AlterField::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                   const ProjectState& to) const {
  alter_between(app, e, from, to, model_name, field.name);
}

void AlterField::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                    const ProjectState& to) const {
  alter_between(app, e, from, to, model_name, field.name);
}

std::string AlterField::describe() const {
  return fmt::format("Alter field {} on {}", field.name, lower(model_name));
}
std::string AlterField::name_fragment() const {
  return "alter_" + lower(model_name) + "_" + field.name;
}
std::string AlterField::to_source() const {
  return fmt::format("AlterField({}, {})", source::quoted(model_name), source::field(field));
}

// RenameField -------------------------------------------------------------------------------------------

void RenameField::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  Field* f = m.find_field(old_name);
  if (!f) throw FieldError(fmt::format("RenameField: {} has no field '{}'", m.label(), old_name));
  if (m.find_field(new_name))
    throw FieldError(fmt::format("RenameField: {} already has a field '{}'", m.label(), new_name));
  f->name = new_name;
  auto rename = [&](std::vector<std::string>& names) {
    for (auto& n : names) {
      if (n == old_name) n = new_name;
      if (n == "-" + old_name) n = "-" + new_name;
    }
  };
  for (auto& i : m.options.indexes)
    rename(i.fields);
  for (auto& c : m.options.constraints)
    if (auto* u = std::get_if<UniqueConstraint>(&c)) rename(u->fields);
  rename(m.options.ordering);
}

namespace {
void rename_between(const std::string& app, SchemaEditor& e, const ProjectState& from, const ProjectState& to,
                    const std::string& model, const std::string& from_name, const std::string& to_name) {
  const ModelState& a = from.model(app, model);
  const ModelState& b = to.model(app, model);
  const Field& fa = *a.find_field(from_name);
  const Field& fb = *b.find_field(to_name);
  if (fa.column_name() == fb.column_name()) return;  // db_column kept the column: nothing to do
  e.rename_column(a, fa.column_name(), fb.column_name());
}
}  // namespace

void RenameField::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                    const ProjectState& to) const {
  rename_between(app, e, from, to, model_name, old_name, new_name);
}

void RenameField::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                     const ProjectState& to) const {
  rename_between(app, e, from, to, model_name, new_name, old_name);
}

std::string RenameField::describe() const {
  return fmt::format("Rename field {} on {} to {}", old_name, lower(model_name), new_name);
}
std::string RenameField::name_fragment() const {
  return "rename_" + old_name + "_" + lower(model_name) + "_" + new_name;
}
std::string RenameField::to_source() const {
  return fmt::format("RenameField({}, {}, {})", source::quoted(model_name), source::quoted(old_name),
                     source::quoted(new_name));
}

// AddIndex / RemoveIndex --------------------------------------------------------------------------------

AddIndex::AddIndex(std::string m, Index i) : model_name(std::move(m)), index(std::move(i)) {
  if (index.name.empty())
    throw FieldError(fmt::format("AddIndex on {}: indexes added by a migration must be named", model_name));
}

void AddIndex::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (m.find_index(index.name))
    throw FieldError(fmt::format("AddIndex: {} already has an index '{}'", m.label(), index.name));
  m.options.indexes.push_back(index);
}

void AddIndex::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                 const ProjectState& to) const {
  e.add_index(to.model(app, model_name), index);
}

void AddIndex::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                  const ProjectState&) const {
  e.remove_index(from.model(app, model_name), index.name);
}

std::string AddIndex::describe() const {
  std::string fields;
  for (auto& f : index.fields)
    fields += (fields.empty() ? "" : ", ") + f;
  return fmt::format("Create index {} on field(s) {} of model {}", index.name, fields, lower(model_name));
}
std::string AddIndex::name_fragment() const {
  return lower(index.name);
}
std::string AddIndex::to_source() const {
  return fmt::format("AddIndex({}, {})", source::quoted(model_name), source::index(index));
}

void RemoveIndex::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (!std::erase_if(m.options.indexes, [&](const Index& i) { return i.name == name; }))
    throw FieldError(fmt::format("RemoveIndex: {} has no index '{}'", m.label(), name));
}

void RemoveIndex::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                    const ProjectState&) const {
  e.remove_index(from.model(app, model_name), name);
}

void RemoveIndex::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                     const ProjectState& to) const {
  const ModelState& m = to.model(app, model_name);
  e.add_index(m, *m.find_index(name));
}

std::string RemoveIndex::describe() const {
  return fmt::format("Remove index {} from {}", name, lower(model_name));
}
std::string RemoveIndex::name_fragment() const {
  return "remove_" + lower(model_name) + "_" + lower(name);
}
std::string RemoveIndex::to_source() const {
  return fmt::format("RemoveIndex({}, {})", source::quoted(model_name), source::quoted(name));
}

// AddConstraint / RemoveConstraint ----------------------------------------------------------------------

AddConstraint::AddConstraint(std::string m, Constraint c)
    : model_name(std::move(m)), constraint(std::move(c)) {
  if (constraint_name(constraint).empty())
    throw FieldError(
        fmt::format("AddConstraint on {}: constraints added by a migration must be named", model_name));
}

void AddConstraint::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (m.find_constraint(constraint_name(constraint)))
    throw FieldError(fmt::format("AddConstraint: {} already has a constraint '{}'", m.label(),
                                 constraint_name(constraint)));
  m.options.constraints.push_back(constraint);
}

// SQLite cannot add or drop a table constraint: the editor rebuilds the table there (as Django does).
void AddConstraint::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                      const ProjectState& to) const {
  e.add_constraint(from.model(app, model_name), to.model(app, model_name), constraint, to);
}

void AddConstraint::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                       const ProjectState& to) const {
  e.remove_constraint(from.model(app, model_name), to.model(app, model_name), constraint_name(constraint),
                      to);
}

std::string AddConstraint::describe() const {
  return fmt::format("Create constraint {} on model {}", constraint_name(constraint), lower(model_name));
}
std::string AddConstraint::name_fragment() const {
  return lower(constraint_name(constraint));
}
std::string AddConstraint::to_source() const {
  return fmt::format("AddConstraint({}, {})", source::quoted(model_name), source::constraint(constraint));
}

void RemoveConstraint::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (!std::erase_if(m.options.constraints, [&](const Constraint& c) { return constraint_name(c) == name; }))
    throw FieldError(fmt::format("RemoveConstraint: {} has no constraint '{}'", m.label(), name));
}

void RemoveConstraint::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                         const ProjectState& to) const {
  e.remove_constraint(from.model(app, model_name), to.model(app, model_name), name, to);
}

void RemoveConstraint::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                          const ProjectState& to) const {
  const ModelState& with = to.model(app, model_name);
  e.add_constraint(from.model(app, model_name), with, *with.find_constraint(name), to);
}

std::string RemoveConstraint::describe() const {
  return fmt::format("Remove constraint {} from model {}", name, lower(model_name));
}
std::string RemoveConstraint::name_fragment() const {
  return "remove_" + lower(model_name) + "_" + lower(name);
}
std::string RemoveConstraint::to_source() const {
  return fmt::format("RemoveConstraint({}, {})", source::quoted(model_name), source::quoted(name));
}

// AddManyToMany / RemoveManyToMany ----------------------------------------------------------------------

namespace {
const ThroughTable& find_through(const ModelState& m, std::string_view name) {
  for (auto& t : m.many_to_many)
    if (t.field == name) return t;
  throw FieldError(fmt::format("{} has no many-to-many field '{}'", m.label(), name));
}
}  // namespace

void AddManyToMany::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  if (m.find_field(through.field) ||
      std::any_of(m.many_to_many.begin(), m.many_to_many.end(),
                  [&](const ThroughTable& t) { return t.field == through.field; }))
    throw FieldError(fmt::format("AddManyToMany: {} already has a field '{}'", m.label(), through.field));
  m.many_to_many.push_back(through);
}

void AddManyToMany::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                      const ProjectState& to) const {
  e.create_through_table(to.model(app, model_name), through, to);
}

void AddManyToMany::database_backwards(const std::string&, SchemaEditor& e, const ProjectState&,
                                       const ProjectState&) const {
  e.delete_through_table(through);
}

std::string AddManyToMany::describe() const {
  return fmt::format("Add field {} to {}", through.field, lower(model_name));
}
std::string AddManyToMany::name_fragment() const {
  return lower(model_name) + "_" + through.field;
}
std::string AddManyToMany::to_source() const {
  return fmt::format("AddManyToMany({}, {})", source::quoted(model_name), source::through(through));
}

void RemoveManyToMany::state_forwards(const std::string& app, ProjectState& state) const {
  auto& m = state.model(app, model_name);
  find_through(m, name);
  std::erase_if(m.many_to_many, [&](const ThroughTable& t) { return t.field == name; });
}

void RemoveManyToMany::database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                                         const ProjectState&) const {
  e.delete_through_table(find_through(from.model(app, model_name), name));
}

void RemoveManyToMany::database_backwards(const std::string& app, SchemaEditor& e, const ProjectState&,
                                          const ProjectState& to) const {
  const ModelState& m = to.model(app, model_name);
  e.create_through_table(m, find_through(m, name), to);
}

std::string RemoveManyToMany::describe() const {
  return fmt::format("Remove field {} from {}", name, lower(model_name));
}
std::string RemoveManyToMany::name_fragment() const {
  return "remove_" + lower(model_name) + "_" + name;
}
std::string RemoveManyToMany::to_source() const {
  return fmt::format("RemoveManyToMany({}, {})", source::quoted(model_name), source::quoted(name));
}

// RunSQL ------------------------------------------------------------------------------------------------

void RunSQL::database_forwards(const std::string&, SchemaEditor& e, const ProjectState&,
                               const ProjectState&) const {
  if (sql != noop) e.execute(sql);
}

void RunSQL::database_backwards(const std::string&, SchemaEditor& e, const ProjectState&,
                                const ProjectState&) const {
  if (reverse_sql.empty()) throw NotSupportedError("RunSQL without reverse_sql is not reversible");
  if (reverse_sql != noop) e.execute(reverse_sql);
}

std::string RunSQL::to_source() const {
  return reverse_sql.empty()
             ? fmt::format("RunSQL({})", source::quoted(sql))
             : fmt::format("RunSQL({}, {})", source::quoted(sql), source::quoted(reverse_sql));
}

}  // namespace duet::db::migrations
