// Migration operations (django.db.migrations.operations): each changes the ProjectState and the database,
// forwards and, where it can, backwards. A migration file lists them; the autodetector writes them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/db/migrations/state.hpp"

namespace duet::db::migrations {

class SchemaEditor;

/// The interface every operation implements.
class OperationBase {
 public:
  virtual ~OperationBase() = default;
  virtual void state_forwards(const std::string& app, ProjectState& state) const = 0;
  /// `from` is the state before this operation, `to` after it.
  virtual void database_forwards(const std::string& app, SchemaEditor& editor, const ProjectState& from,
                                 const ProjectState& to) const = 0;
  /// `from` is the state after this operation, `to` before it (the direction of travel).
  virtual void database_backwards(const std::string& app, SchemaEditor& editor, const ProjectState& from,
                                  const ProjectState& to) const;
  virtual bool reversible() const { return true; }
  /// "Create model Post", as `migrate` and `sqlmigrate` print it.
  virtual std::string describe() const = 0;
  /// "post", "post_summary", "remove_post_summary": the automatic migration name's part.
  virtual std::string name_fragment() const = 0;
  /// The operation as C++ source for a migration file (the writer indents it).
  virtual std::string to_source() const = 0;
};

/// Any operation, by value: `std::vector<Operation> ops{CreateModel{...}, AddField{...}}`.
class Operation {
 public:
  template <class Op>
  requires std::is_base_of_v<OperationBase, Op> Operation(Op op)
      : p_(std::make_shared<const Op>(std::move(op))) {}
  const OperationBase* operator->() const noexcept { return p_.get(); }
  const OperationBase& operator*() const noexcept { return *p_; }
  template <class Op>
  const Op* as() const noexcept {
    return dynamic_cast<const Op*>(p_.get());
  }

 private:
  std::shared_ptr<const OperationBase> p_;
};

struct CreateModel final : OperationBase {
  std::string name;
  std::vector<Field> fields;
  ModelOptions options;
  std::vector<ThroughTable> many_to_many;

  CreateModel(std::string n, std::vector<Field> f, ModelOptions o = {}, std::vector<ThroughTable> m2m = {})
      : name(std::move(n)), fields(std::move(f)), options(std::move(o)), many_to_many(std::move(m2m)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct DeleteModel final : OperationBase {
  std::string name;
  explicit DeleteModel(std::string n) : name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct AddField final : OperationBase {
  std::string model_name;
  Field field;
  AddField(std::string m, Field f) : model_name(std::move(m)), field(std::move(f)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct RemoveField final : OperationBase {
  std::string model_name;
  std::string name;
  RemoveField(std::string m, std::string n) : model_name(std::move(m)), name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

/// Changes a field's definition (type, null, default, max_length, unique, ...); the name stays.
struct AlterField final : OperationBase {
  std::string model_name;
  Field field;
  AlterField(std::string m, Field f) : model_name(std::move(m)), field(std::move(f)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

/// Written by hand (the autodetector cannot tell a rename from a remove and an add without asking).
struct RenameField final : OperationBase {
  std::string model_name;
  std::string old_name;
  std::string new_name;
  RenameField(std::string m, std::string o, std::string n)
      : model_name(std::move(m)), old_name(std::move(o)), new_name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct AddIndex final : OperationBase {
  std::string model_name;
  Index index;  // must be named
  AddIndex(std::string m, Index i);
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct RemoveIndex final : OperationBase {
  std::string model_name;
  std::string name;
  RemoveIndex(std::string m, std::string n) : model_name(std::move(m)), name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct AddConstraint final : OperationBase {
  std::string model_name;
  Constraint constraint;  // must be named
  AddConstraint(std::string m, Constraint c);
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

struct RemoveConstraint final : OperationBase {
  std::string model_name;
  std::string name;
  RemoveConstraint(std::string m, std::string n) : model_name(std::move(m)), name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

/// A many-to-many field added to an existing model: creates its through table.
struct AddManyToMany final : OperationBase {
  std::string model_name;
  ThroughTable through;
  AddManyToMany(std::string m, ThroughTable t) : model_name(std::move(m)), through(std::move(t)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

/// A many-to-many field removed from a model: drops its through table (and the links in it).
struct RemoveManyToMany final : OperationBase {
  std::string model_name;
  std::string name;
  RemoveManyToMany(std::string m, std::string n) : model_name(std::move(m)), name(std::move(n)) {}
  void state_forwards(const std::string& app, ProjectState& state) const override;
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  std::string describe() const override;
  std::string name_fragment() const override;
  std::string to_source() const override;
};

/// Raw SQL (';'-separated statements allowed). Irreversible unless `reverse_sql` is given; RunSQL::noop as
/// the reverse makes it reversible without doing anything. It does not change the state.
struct RunSQL final : OperationBase {
  static constexpr std::string_view noop = "--noop";
  std::string sql;
  std::string reverse_sql;
  explicit RunSQL(std::string s, std::string r = {}) : sql(std::move(s)), reverse_sql(std::move(r)) {}
  void state_forwards(const std::string&, ProjectState&) const override {}
  void database_forwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                         const ProjectState& to) const override;
  void database_backwards(const std::string& app, SchemaEditor& e, const ProjectState& from,
                          const ProjectState& to) const override;
  bool reversible() const override { return !reverse_sql.empty(); }
  std::string describe() const override { return "Raw SQL operation"; }
  std::string name_fragment() const override { return "run_sql"; }
  std::string to_source() const override;
};

}  // namespace duet::db::migrations
