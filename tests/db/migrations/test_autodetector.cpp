// The autodetector: declared models against the migrations' state, operations in an applicable order,
// names and dependencies of new migrations, and the migration file the writer makes of them.
#include "support.hpp"

namespace library {
using namespace duet::db;

struct Writer : Model<Writer> {
  CharField name;
  static void meta(Meta<Writer>& m) {
    m.app_label("library").ordering({"name"});
    m.field(&Writer::name, "name").max_length(100).unique();
  }
};

struct Novel : Model<Novel> {
  CharField title;
  IntegerField pages;
  ForeignKey<Writer> writer;
  static void meta(Meta<Novel>& m) {
    m.app_label("library");
    m.field(&Novel::title, "title").max_length(200).default_("it's \"new\"");
    m.field(&Novel::pages, "pages").null();
    m.field(&Novel::writer, "writer").on_delete(CASCADE).related_name("novels");
    m.index(Index{.fields = {"title"}, .name = ""});
    m.constraint(CheckConstraint{.check = "\"pages\" >= 0", .name = "pages_gte_0"});
  }
};
}  // namespace library

namespace duet::db::migrations::testing {
namespace {

ProjectState declared() {
  return ProjectState::from_models({&library::Writer::_meta(), &library::Novel::_meta()});
}

ProjectState apply(ProjectState s, const std::vector<Operation>& ops, const std::string& app) {
  for (auto& op : ops)
    op->state_forwards(app, s);
  return s;
}

std::vector<std::string> described(const std::vector<Operation>& ops) {
  std::vector<std::string> out;
  for (auto& op : ops)
    out.push_back(op->describe());
  return out;
}

class AutodetectorTest : public MigrationTest {};

TEST_F(AutodetectorTest, InitialMigrationCreatesModelsTargetsFirst) {
  MigrationLoader empty(std::vector<Migration>{});
  auto changes = MigrationAutodetector({}, declared()).changes(empty);
  ASSERT_EQ(changes.size(), 1u);
  const Migration& m = changes[0];
  EXPECT_EQ(m.app, "library");
  EXPECT_EQ(m.name, "0001_initial");
  EXPECT_TRUE(m.dependencies.empty());
  EXPECT_EQ(described(m.operations), (std::vector<std::string>{"Create model Writer", "Create model Novel"}));
  // Applying the operations reproduces the declared state exactly.
  EXPECT_EQ(apply({}, m.operations, "library").models(), declared().models());
  auto* novel = m.operations[1].as<CreateModel>();
  ASSERT_NE(novel, nullptr);
  ASSERT_EQ(novel->options.indexes.size(), 1u);
  EXPECT_EQ(novel->options.indexes[0].name, "library_novel_title_idx");
}

TEST_F(AutodetectorTest, NoChangesWhenStatesMatch) {
  EXPECT_TRUE(MigrationAutodetector(declared(), declared()).operations("library").empty());
}

TEST_F(AutodetectorTest, AddRemoveAndAlterField) {
  ProjectState from = declared();
  ProjectState to = declared();
  auto& novel = to.model("library", "novel");
  std::erase_if(novel.fields, [](const Field& f) { return f.name == "pages"; });
  novel.fields.push_back(Field("summary", FieldType::TextField).default_(""));
  novel.find_field("title")->max_length(250);
  auto ops = MigrationAutodetector(from, to).operations("library");
  EXPECT_EQ(described(ops),
            (std::vector<std::string>{"Remove field pages from novel", "Add field summary to novel",
                                      "Alter field title on novel"}));
  EXPECT_EQ(apply(from, ops, "library").models(), to.models());
}

TEST_F(AutodetectorTest, RemovingFieldRemovesItsIndexFirst) {
  ProjectState from = declared();
  ProjectState to = declared();
  auto& novel = to.model("library", "novel");
  std::erase_if(novel.fields, [](const Field& f) { return f.name == "title"; });
  novel.options.indexes.clear();
  auto ops = MigrationAutodetector(from, to).operations("library");
  EXPECT_EQ(described(ops), (std::vector<std::string>{"Remove index library_novel_title_idx from novel",
                                                      "Remove field title from novel"}));
}

TEST_F(AutodetectorTest, AddAndDeleteModel) {
  ProjectState from = declared();
  ProjectState to = declared();
  to.add_model(ModelState{"library", "Shelf", {Field("id", FieldType::BigAutoField).primary_key()}, {}, {}});
  to.remove_model("library", "novel");
  auto ops = MigrationAutodetector(from, to).operations("library");
  EXPECT_EQ(described(ops), (std::vector<std::string>{"Create model Shelf", "Delete model Novel"}));
  EXPECT_EQ(apply(from, ops, "library").models(), to.models());
}

TEST_F(AutodetectorTest, IndexAndConstraintChanges) {
  ProjectState from = declared();
  ProjectState to = declared();
  auto& novel = to.model("library", "novel");
  novel.options.indexes.push_back(Index{.fields = {"-pages"}, .name = "novel_pages_desc"});
  novel.options.constraints.clear();
  novel.options.constraints.emplace_back(
      UniqueConstraint{.fields = {"title", "writer"}, .name = "one_title"});
  auto ops = MigrationAutodetector(from, to).operations("library");
  EXPECT_EQ(described(ops),
            (std::vector<std::string>{"Remove constraint pages_gte_0 from model novel",
                                      "Create index novel_pages_desc on field(s) -pages of model novel",
                                      "Create constraint one_title on model novel"}));
  EXPECT_EQ(apply(from, ops, "library").models(), to.models());
}

TEST_F(AutodetectorTest, DetectedOperationsRunOnTheDatabase) {
  // Initial, then a change: both migrations applied for real and the result matches the declared schema.
  MigrationLoader empty(std::vector<Migration>{});
  std::vector<Migration> history = MigrationAutodetector({}, declared()).changes(empty);
  ProjectState to = declared();
  to.model("library", "novel").fields.push_back(Field("isbn", FieldType::CharField).max_length(13).null());
  MigrationLoader one(history);
  auto next = MigrationAutodetector(one.project_state(), to).changes(one);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].name, "0002_novel_isbn");
  EXPECT_EQ(next[0].dependencies, (std::vector<Dependency>{{"library", "0001_initial"}}));
  history.push_back(next[0]);
  MigrationLoader both(history);
  MigrationExecutor(both).migrate();
  EXPECT_EQ(columns("library_novel"), (std::set<std::string>{"id", "title", "pages", "writer_id", "isbn"}));
  EXPECT_TRUE(has_index("library_novel_title_idx"));
  EXPECT_TRUE(MigrationAutodetector(both.project_state(), to).operations("library").empty());
}

TEST_F(AutodetectorTest, NamesFollowDjango) {
  std::vector<Operation> one{AddField("post", Field("summary", FieldType::TextField))};
  EXPECT_EQ(migration_name(std::string("0001_initial"), one, false), "0002_post_summary");
  EXPECT_EQ(migration_name(std::nullopt, one, true), "0001_initial");
  std::vector<Operation> many;
  for (int i = 0; i < 6; ++i)
    many.push_back(AddField("post", Field("field_number_" + std::to_string(i), FieldType::TextField)));
  EXPECT_EQ(migration_name(std::string("0009_x"), many, false).substr(0, 10), "0010_auto_");
}

TEST_F(AutodetectorTest, WriterMakesReadableSource) {
  MigrationLoader empty(std::vector<Migration>{});
  auto m = MigrationAutodetector({}, declared()).changes(empty).at(0);
  std::string src = write_migration(m);
  EXPECT_NE(src.find("#include <duet/db/migrations.hpp>"), std::string::npos);
  EXPECT_NE(src.find(".app = \"library\""), std::string::npos);
  EXPECT_NE(src.find(".name = \"0001_initial\""), std::string::npos);
  EXPECT_NE(src.find("Field(\"name\", FieldType::CharField).max_length(100).unique()"), std::string::npos);
  EXPECT_NE(src.find("Field(\"title\", FieldType::CharField).max_length(200).default_(\"it's \\\"new\\\"\")"),
            std::string::npos);
  EXPECT_NE(src.find("Field(\"writer\", FieldType::ForeignKey, \"library.Writer\").on_delete(CASCADE)"
                     ".related_name(\"novels\")"),
            std::string::npos);
  EXPECT_NE(src.find(".ordering = {\"name\"}"), std::string::npos);
  EXPECT_NE(src.find("CheckConstraint{.check = \"\\\"pages\\\" >= 0\", .name = \"pages_gte_0\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace duet::db::migrations::testing

namespace duet::db::migrations::testing {
namespace {

TEST_F(AutodetectorTest, ManyToManyAddedAndRemovedOnKeptModel) {
  ProjectState from = declared();
  ProjectState to = declared();
  to.model("library", "novel")
      .many_to_many.push_back(ThroughTable{.field = "fans",
                                           .to = "library.Writer",
                                           .db_table = "library_novel_fans",
                                           .from_column = "novel_id",
                                           .to_column = "writer_id"});
  auto ops = MigrationAutodetector(from, to).operations("library");
  EXPECT_EQ(described(ops), (std::vector<std::string>{"Add field fans to novel"}));
  EXPECT_EQ(apply(from, ops, "library").models(), to.models());
  auto back = MigrationAutodetector(to, from).operations("library");
  EXPECT_EQ(described(back), (std::vector<std::string>{"Remove field fans from novel"}));
}

}  // namespace
}  // namespace duet::db::migrations::testing
