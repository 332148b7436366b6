#include "duet/db/schema.hpp"

#include <fmt/format.h>

#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/migrations/schema_editor.hpp"
#include "duet/db/migrations/state.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::db {

using detail::quote_name;

namespace {

void add_once(migrations::ProjectState& state, const ModelMeta& meta) {
  if (!state.find(meta.app_label, meta.object_name)) state.add_model(migrations::ModelState::from_meta(meta));
}

// The declared models as migration state, with what their keys and many-to-many fields point at (the
// editor reads the targets' tables and key types from it).
migrations::ProjectState state_of(const std::vector<const ModelMeta*>& metas) {
  migrations::ProjectState state;
  for (auto* meta : metas) {
    add_once(state, *meta);
    for (auto& f : meta->fields)
      if (f.is_relation()) add_once(state, f.related_model());
    for (auto& m2m : meta->many_to_many)
      add_once(state, m2m.related_model());
  }
  return state;
}

const migrations::ModelState& model_in(const migrations::ProjectState& state, const ModelMeta& meta) {
  return state.model(meta.app_label, meta.object_name);
}

}  // namespace

std::string SchemaEditor::column_type(const FieldInfo& f, std::string_view vendor) {
  migrations::Field field(f.name, f.type);
  field.max_length_ = f.max_length;
  field.max_digits_ = f.max_digits;
  field.decimal_places_ = f.decimal_places;
  migrations::ProjectState state;
  if (f.is_relation()) {
    const ModelMeta& target = f.related_model();
    field.to = target.app_label + "." + target.object_name;
    add_once(state, target);
  }
  return migrations::SchemaEditor::collecting(vendor).column_type(field, state);
}

std::vector<std::string> SchemaEditor::create_model_sql(const ModelMeta& meta, std::string_view vendor) {
  auto state = state_of({&meta});
  auto editor = migrations::SchemaEditor::collecting(vendor);
  editor.create_model(model_in(state, meta), state);
  editor.execute_deferred();
  return editor.collected_sql();
}

std::string SchemaEditor::delete_model_sql(const ModelMeta& meta, std::string_view vendor) {
  return "DROP TABLE " + quote_name(meta.db_table) + (vendor == "postgresql" ? " CASCADE" : "");
}

void SchemaEditor::create_model(const ModelMeta& meta) const {
  create_models({&meta});
}

void SchemaEditor::create_models(const std::vector<const ModelMeta*>& metas) const {
  ensure_sync_context("SchemaEditor::create_model()");
  auto state = state_of(metas);
  transaction::atomic tx(alias_);
  migrations::SchemaEditor editor(alias_);
  for (auto* meta : metas)
    editor.create_model(model_in(state, *meta), state);
  editor.execute_deferred();
}

void SchemaEditor::delete_model(const ModelMeta& meta) const {
  ensure_sync_context("SchemaEditor::delete_model()");
  auto state = state_of({&meta});
  migrations::SchemaEditor editor(alias_);
  editor.delete_model(model_in(state, meta));
}

}  // namespace duet::db
