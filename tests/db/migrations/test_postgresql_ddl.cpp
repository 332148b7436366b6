// The PostgreSQL schema editor's SQL, statement for statement against what Django 3.2's `sqlmigrate` prints
// for the same operations on PostgreSQL (the expected lists were produced by Debian's Django 3.2 with a
// throw-away project: blog.Author/Tag/Profile/Post, then a second migration of field changes). No server:
// the editor only collects.
#include <gtest/gtest.h>

#include "db/migrations/ddl_names.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/migrations.hpp"
#include "support.hpp"

namespace duet::db::migrations::testing {
namespace {

using Statements = std::vector<std::string>;

// Applies `ops` of app "blog" to `state` (state and collected DDL), then runs the deferred statements.
ProjectState apply(const std::vector<Operation>& ops, ProjectState state, SchemaEditor& e) {
  for (auto& op : ops) {
    ProjectState next = state;
    op->state_forwards("blog", next);
    op->database_forwards("blog", e, state, next);
    state = std::move(next);
  }
  e.execute_deferred();
  return state;
}

std::vector<Operation> initial() {
  return {
      CreateModel("Author", {Field("id", FieldType::AutoField).primary_key(),
                             Field("name", FieldType::CharField).max_length(100),
                             Field("email", FieldType::CharField).max_length(200).unique()}),
      CreateModel("Tag", {Field("id", FieldType::BigAutoField).primary_key(),
                          Field("name", FieldType::CharField).max_length(50)}),
      CreateModel("Profile", {Field("id", FieldType::AutoField).primary_key(),
                              Field("author", FieldType::OneToOneField, "blog.Author").on_delete(CASCADE)}),
      CreateModel("Post",
                  {
                      Field("id", FieldType::AutoField).primary_key(),
                      Field("title", FieldType::CharField).max_length(200).db_index(),
                      Field("body", FieldType::TextField),
                      Field("published", FieldType::BooleanField).default_(false),
                      Field("created", FieldType::DateTimeField),
                      Field("day", FieldType::DateField).null(),
                      Field("rating", FieldType::FloatField),
                      Field("price", FieldType::DecimalField).max_digits(8).decimal_places(2),
                      Field("uid", FieldType::UUIDField),
                      Field("data", FieldType::JSONField),
                      Field("blob", FieldType::BinaryField),
                      Field("big", FieldType::BigIntegerField),
                      Field("author", FieldType::ForeignKey, "blog.Author").on_delete(CASCADE),
                      Field("editor", FieldType::ForeignKey, "blog.Author").null().on_delete(SET_NULL),
                  },
                  {}, {ThroughTable{"tags", "blog.Tag", "blog_post_tags", "post_id", "tag_id"}}),
      AddIndex("post", Index{{"title", "-created"}, "post_title_created"}),
      AddConstraint("post", UniqueConstraint{{"author", "title"}, "uniq_author_title"}),
      AddConstraint("post", CheckConstraint{"\"rating\" >= 0.0", "rating_positive"}),
  };
}

TEST(PostgresqlDdl, CreateModelsAsDjango) {
  auto e = SchemaEditor::collecting("postgresql");
  apply(initial(), {}, e);
  const Statements django = {
      R"(CREATE TABLE "blog_author" ("id" serial NOT NULL PRIMARY KEY, "name" varchar(100) NOT NULL, "email" varchar(200) NOT NULL UNIQUE))",
      R"(CREATE TABLE "blog_tag" ("id" bigserial NOT NULL PRIMARY KEY, "name" varchar(50) NOT NULL))",
      R"(CREATE TABLE "blog_profile" ("id" serial NOT NULL PRIMARY KEY, "author_id" integer NOT NULL UNIQUE))",
      R"(CREATE TABLE "blog_post" ("id" serial NOT NULL PRIMARY KEY, "title" varchar(200) NOT NULL, "body" text NOT NULL, "published" boolean NOT NULL, "created" timestamp with time zone NOT NULL, "day" date NULL, "rating" double precision NOT NULL, "price" numeric(8, 2) NOT NULL, "uid" uuid NOT NULL, "data" jsonb NOT NULL, "blob" bytea NOT NULL, "big" bigint NOT NULL, "author_id" integer NOT NULL, "editor_id" integer NULL))",
      R"(CREATE TABLE "blog_post_tags" ("id" serial NOT NULL PRIMARY KEY, "post_id" integer NOT NULL, "tag_id" bigint NOT NULL))",
      R"(CREATE INDEX "post_title_created" ON "blog_post" ("title", "created" DESC))",
      R"(ALTER TABLE "blog_post" ADD CONSTRAINT "uniq_author_title" UNIQUE ("author_id", "title"))",
      R"(ALTER TABLE "blog_post" ADD CONSTRAINT "rating_positive" CHECK ("rating" >= 0.0))",
      R"(CREATE INDEX "blog_author_email_8354ab3e_like" ON "blog_author" ("email" varchar_pattern_ops))",
      R"(ALTER TABLE "blog_profile" ADD CONSTRAINT "blog_profile_author_id_06a52c54_fk_blog_author_id" FOREIGN KEY ("author_id") REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(ALTER TABLE "blog_post" ADD CONSTRAINT "blog_post_author_id_dd7a8485_fk_blog_author_id" FOREIGN KEY ("author_id") REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(ALTER TABLE "blog_post" ADD CONSTRAINT "blog_post_editor_id_777656be_fk_blog_author_id" FOREIGN KEY ("editor_id") REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(CREATE INDEX "blog_post_title_adf2f203" ON "blog_post" ("title"))",
      R"(CREATE INDEX "blog_post_title_adf2f203_like" ON "blog_post" ("title" varchar_pattern_ops))",
      R"(CREATE INDEX "blog_post_author_id_dd7a8485" ON "blog_post" ("author_id"))",
      R"(CREATE INDEX "blog_post_editor_id_777656be" ON "blog_post" ("editor_id"))",
      R"(ALTER TABLE "blog_post_tags" ADD CONSTRAINT "blog_post_tags_post_id_tag_id_4925ec37_uniq" UNIQUE ("post_id", "tag_id"))",
      R"(ALTER TABLE "blog_post_tags" ADD CONSTRAINT "blog_post_tags_post_id_a1c71c8a_fk_blog_post_id" FOREIGN KEY ("post_id") REFERENCES "blog_post" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(ALTER TABLE "blog_post_tags" ADD CONSTRAINT "blog_post_tags_tag_id_0875c551_fk_blog_tag_id" FOREIGN KEY ("tag_id") REFERENCES "blog_tag" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(CREATE INDEX "blog_post_tags_post_id_a1c71c8a" ON "blog_post_tags" ("post_id"))",
      R"(CREATE INDEX "blog_post_tags_tag_id_0875c551" ON "blog_post_tags" ("tag_id"))",
  };
  EXPECT_EQ(e.collected_sql(), django);
}

std::vector<Operation> changes() {
  return {
      AddField("author", Field("age", FieldType::IntegerField).default_(7)),
      AddField("author", Field("active", FieldType::BooleanField).default_(true)),
      AddField("author", Field("nick", FieldType::CharField).max_length(30).null()),
      AddField(
          "author",
          Field("mentor", FieldType::ForeignKey, "blog.Author").null().on_delete(SET_NULL).related_name("+")),
      RemoveField("post", "editor"),
      RemoveField("post", "big"),
      AlterField("post", Field("rating", FieldType::IntegerField)),
      AlterField("post", Field("day", FieldType::DateField).default_("2020-01-01")),
      AlterField("post", Field("body", FieldType::TextField).null()),
      AlterField("author", Field("email", FieldType::CharField).max_length(250)),
      AlterField("author", Field("name", FieldType::CharField).max_length(120).unique()),
      AlterField("post", Field("title", FieldType::CharField).max_length(200)),
      AlterField("tag", Field("name", FieldType::CharField).max_length(50).db_index()),
      RenameField("post", "body", "content"),
      RemoveIndex("post", "post_title_created"),
      AddIndex("post", Index{{"published"}, "post_published"}),
      RemoveConstraint("post", "uniq_author_title"),
      AddConstraint("post", UniqueConstraint{{"title", "uid"}, "uniq_title_uid"}),
      RemoveManyToMany("post", "tags"),
      AddManyToMany("author", ThroughTable{"tags", "blog.Tag", "blog_author_tags", "author_id", "tag_id"}),
  };
}

TEST(PostgresqlDdl, AlterTableAsDjango) {
  auto first = SchemaEditor::collecting("postgresql");
  ProjectState state = apply(initial(), {}, first);
  auto e = SchemaEditor::collecting("postgresql");
  apply(changes(), state, e);
  // Django's output, but for two differences: Django casts the date default ('2020-01-01'::date, from
  // psycopg2's adaptation; PostgreSQL infers the column's type from the bare literal), and its last step
  // renamed a table, which duet has no operation for.
  const Statements django = {
      R"(ALTER TABLE "blog_author" ADD COLUMN "age" integer DEFAULT 7 NOT NULL)",
      R"(ALTER TABLE "blog_author" ALTER COLUMN "age" DROP DEFAULT)",
      R"(ALTER TABLE "blog_author" ADD COLUMN "active" boolean DEFAULT true NOT NULL)",
      R"(ALTER TABLE "blog_author" ALTER COLUMN "active" DROP DEFAULT)",
      R"(ALTER TABLE "blog_author" ADD COLUMN "nick" varchar(30) NULL)",
      R"(ALTER TABLE "blog_author" ADD COLUMN "mentor_id" integer NULL CONSTRAINT "blog_author_mentor_id_3b7f3475_fk_blog_author_id" REFERENCES "blog_author"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "blog_author_mentor_id_3b7f3475_fk_blog_author_id" IMMEDIATE)",
      R"(SET CONSTRAINTS "blog_post_editor_id_777656be_fk_blog_author_id" IMMEDIATE; ALTER TABLE "blog_post" DROP CONSTRAINT "blog_post_editor_id_777656be_fk_blog_author_id")",
      R"(ALTER TABLE "blog_post" DROP COLUMN "editor_id" CASCADE)",
      R"(ALTER TABLE "blog_post" DROP COLUMN "big" CASCADE)",
      R"(ALTER TABLE "blog_post" ALTER COLUMN "rating" TYPE integer USING "rating"::integer)",
      R"(ALTER TABLE "blog_post" ALTER COLUMN "day" SET DEFAULT '2020-01-01')",
      R"(UPDATE "blog_post" SET "day" = '2020-01-01' WHERE "day" IS NULL)",
      R"(ALTER TABLE "blog_post" ALTER COLUMN "day" SET NOT NULL)",
      R"(ALTER TABLE "blog_post" ALTER COLUMN "day" DROP DEFAULT)",
      R"(ALTER TABLE "blog_post" ALTER COLUMN "body" DROP NOT NULL)",
      R"(ALTER TABLE "blog_author" DROP CONSTRAINT "blog_author_email_key")",
      R"(ALTER TABLE "blog_author" ALTER COLUMN "email" TYPE varchar(250))",
      R"(DROP INDEX IF EXISTS "blog_author_email_8354ab3e_like")",
      R"(ALTER TABLE "blog_author" ALTER COLUMN "name" TYPE varchar(120))",
      R"(ALTER TABLE "blog_author" ADD CONSTRAINT "blog_author_name_9e372c42_uniq" UNIQUE ("name"))",
      R"(CREATE INDEX "blog_author_name_9e372c42_like" ON "blog_author" ("name" varchar_pattern_ops))",
      R"(DROP INDEX IF EXISTS "blog_post_title_adf2f203")",
      R"(DROP INDEX IF EXISTS "blog_post_title_adf2f203_like")",
      R"(CREATE INDEX "blog_tag_name_c5718cc8" ON "blog_tag" ("name"))",
      R"(CREATE INDEX "blog_tag_name_c5718cc8_like" ON "blog_tag" ("name" varchar_pattern_ops))",
      R"(ALTER TABLE "blog_post" RENAME COLUMN "body" TO "content")",
      R"(DROP INDEX IF EXISTS "post_title_created")",
      R"(CREATE INDEX "post_published" ON "blog_post" ("published"))",
      R"(ALTER TABLE "blog_post" DROP CONSTRAINT "uniq_author_title")",
      R"(ALTER TABLE "blog_post" ADD CONSTRAINT "uniq_title_uid" UNIQUE ("title", "uid"))",
      R"(DROP TABLE "blog_post_tags" CASCADE)",
      R"(CREATE TABLE "blog_author_tags" ("id" serial NOT NULL PRIMARY KEY, "author_id" integer NOT NULL, "tag_id" bigint NOT NULL))",
      R"(CREATE INDEX "blog_author_mentor_id_3b7f3475" ON "blog_author" ("mentor_id"))",
      R"(ALTER TABLE "blog_author_tags" ADD CONSTRAINT "blog_author_tags_author_id_tag_id_fdecb372_uniq" UNIQUE ("author_id", "tag_id"))",
      R"(ALTER TABLE "blog_author_tags" ADD CONSTRAINT "blog_author_tags_author_id_d2c1e25e_fk_blog_author_id" FOREIGN KEY ("author_id") REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(ALTER TABLE "blog_author_tags" ADD CONSTRAINT "blog_author_tags_tag_id_7a17d9c3_fk_blog_tag_id" FOREIGN KEY ("tag_id") REFERENCES "blog_tag" ("id") DEFERRABLE INITIALLY DEFERRED)",
      R"(CREATE INDEX "blog_author_tags_author_id_d2c1e25e" ON "blog_author_tags" ("author_id"))",
      R"(CREATE INDEX "blog_author_tags_tag_id_7a17d9c3" ON "blog_author_tags" ("tag_id"))",
  };
  EXPECT_EQ(e.collected_sql(), django);
}

TEST(PostgresqlDdl, BackwardsAsDjango) {
  // A few reversals from Django's `sqlmigrate --backwards`: a removed column comes back with its key inline.
  auto first = SchemaEditor::collecting("postgresql");
  ProjectState before = apply(initial(), {}, first);
  ProjectState after = before;
  Operation op = RemoveField("post", "editor");
  op->state_forwards("blog", after);
  auto e = SchemaEditor::collecting("postgresql");
  op->database_backwards("blog", e, after, before);
  Operation alter = AlterField("post", Field("rating", FieldType::IntegerField));
  ProjectState altered = before;
  alter->state_forwards("blog", altered);
  alter->database_backwards("blog", e, altered, before);
  e.execute_deferred();
  EXPECT_EQ(
      e.collected_sql(),
      (Statements{
          R"(ALTER TABLE "blog_post" ADD COLUMN "editor_id" integer NULL CONSTRAINT "blog_post_editor_id_777656be_fk_blog_author_id" REFERENCES "blog_author"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "blog_post_editor_id_777656be_fk_blog_author_id" IMMEDIATE)",
          R"(ALTER TABLE "blog_post" ALTER COLUMN "rating" TYPE double precision USING "rating"::double precision)",
          R"(CREATE INDEX "blog_post_editor_id_777656be" ON "blog_post" ("editor_id"))",
      }));
}

TEST(PostgresqlDdl, LongNamesAreShortenedAsDjango) {
  // Django: _create_index_name keeps 63 bytes, hash intact (checked with Django 3.2's schema editor).
  const std::string table = "inventory_warehouse_stock_movement_history";
  const std::string name = ddl::index_name(table, {"destination_location_identifier"}, "");
  EXPECT_LE(name.size(), 63u);
  EXPECT_EQ(name, "inventory_warehouse_stock__destination_location_ident_566cb071");
  EXPECT_EQ(ddl::postgresql_default_name("blog_author", "email", "key"), "blog_author_email_key");
  EXPECT_EQ(ddl::postgresql_default_name(std::string(40, 'a'), std::string(40, 'b'), "key").size(), 63u);
}

TEST(PostgresqlDdl, NotNullFieldWithoutDefaultHasNoDefaultClause) {
  auto first = SchemaEditor::collecting("postgresql");
  ProjectState state = apply(initial(), {}, first);
  auto e = SchemaEditor::collecting("postgresql");
  apply({AddField("tag", Field("slug", FieldType::CharField).max_length(20).blank())}, state, e);
  // blank: Django's effective default for a NOT NULL text column is the empty string.
  EXPECT_EQ(e.collected_sql(),
            (Statements{
                R"(ALTER TABLE "blog_tag" ADD COLUMN "slug" varchar(20) DEFAULT '' NOT NULL)",
                R"(ALTER TABLE "blog_tag" ALTER COLUMN "slug" DROP DEFAULT)",
            }));
}

// The same operations run on this run's database (SQLite: rebuilds; PostgreSQL: the statements above), with
// a row in the tables, then all undone: every statement is valid there and the data survives.
class BlogMigrationTest : public MigrationTest {};

TEST_F(BlogMigrationTest, DjangosOperationsRunForwardsWithDataAndBackwards) {
  std::vector<ProjectState> states{ProjectState{}};
  std::vector<Operation> ops = initial();
  for (auto& op : ops)
    states.push_back(forwards(op, states.back(), "blog"));
  connection().execute("INSERT INTO blog_author (name, email) VALUES ('Ann', 'ann@example.com')");
  connection().execute(
      "INSERT INTO blog_post (title, body, published, created, rating, price, uid, data, blob, big, "
      "author_id) "
      "VALUES ('t', 'b', false, '2020-01-01 00:00:00+00:00', 2.75, 1.5, "
      "'00000000-0000-0000-0000-000000000001', '{}', '', 7, 1)");
  // SQLite's rebuilds drop referenced tables: keys off, as the executor does it there.
  if (!postgresql()) connection().execute_script("PRAGMA foreign_keys = OFF");
  for (auto& op : changes()) {
    ops.push_back(op);
    states.push_back(forwards(op, states.back(), "blog"));
  }
  auto row = connection().query("SELECT rating, day, content FROM blog_post");
  ASSERT_EQ(row.size(), 1u);
  // USING "rating"::integer rounds on PostgreSQL; SQLite's integer-affinity column keeps a REAL it cannot
  // convert without loss, as Django's rebuild does there.
  if (postgresql()) {
    EXPECT_EQ(row[0][0].as_int(), 3);
  } else {
    EXPECT_DOUBLE_EQ(row[0][0].as_double(), 2.75);
  }
  EXPECT_EQ(row[0][1].as_string(), "2020-01-01");  // the NULL took the new default
  EXPECT_EQ(row[0][2].as_string(), "b");           // renamed, kept
  EXPECT_EQ(connection().query("SELECT age, active FROM blog_author")[0][0].as_int(), 7);
  EXPECT_TRUE(has_table("blog_author_tags"));
  EXPECT_FALSE(has_table("blog_post_tags"));

  // Backwards needs empty tables: a removed NOT NULL column without a default cannot come back over rows.
  connection().execute("DELETE FROM blog_post");
  connection().execute("DELETE FROM blog_author");
  for (std::size_t i = ops.size(); i-- > initial().size();)
    backwards(ops[i], states[i], states[i + 1], "blog");
  if (!postgresql()) connection().execute_script("PRAGMA foreign_keys = ON");
  EXPECT_EQ(columns("blog_post"),
            (std::set<std::string>{"id", "title", "body", "published", "created", "day", "rating", "price",
                                   "uid", "data", "blob", "big", "author_id", "editor_id"}));
  EXPECT_EQ(columns("blog_author"), (std::set<std::string>{"id", "name", "email"}));
  EXPECT_TRUE(has_table("blog_post_tags"));
  EXPECT_FALSE(has_table("blog_author_tags"));
  EXPECT_TRUE(has_index("post_title_created"));
}

TEST(PostgresqlDdl, CollectingNeedsAKnownVendor) {
  EXPECT_THROW(SchemaEditor::collecting("oracle"), NotSupportedError);
}

}  // namespace
}  // namespace duet::db::migrations::testing
