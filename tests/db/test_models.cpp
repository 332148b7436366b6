// Model declaration, meta, instances: save/delete/refresh/full_clean, defaults, auto_now_add, relations.
#include <gtest/gtest.h>

#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using blog::Book;
using blog::Loan;
using blog::Publisher;
using blog::Review;
using duet::db::testing::DbTest;

namespace {
Author author(const std::string& name, std::optional<int> age = std::nullopt) {
  Author a;
  a.name = name;
  if (age) a.age = *age;
  a.save();
  return a;
}
Book book(const Author& a, const std::string& title, int pages) {
  Book b;
  b.title = title;
  b.pages = pages;
  b.author = a;
  b.save();
  return b;
}
}  // namespace

TEST(Meta, DescribesTheModel) {
  auto& m = Book::_meta();
  EXPECT_EQ(m.object_name, "Book");
  EXPECT_EQ(m.db_table, "blog_book");
  EXPECT_EQ(m.label(), "blog.Book");
  EXPECT_EQ(m.pk().name, "id");
  EXPECT_TRUE(m.pk().is_auto());
  ASSERT_NE(m.find_field("author"), nullptr);
  EXPECT_EQ(m.find_field("author")->column, "author_id");
  EXPECT_EQ(m.find_field("author_id"), m.find_field("author"));
  EXPECT_EQ(m.find_field("title")->max_length, 200);
  // Reverse relations are found from the registry.
  ASSERT_NE(Author::_meta().find_related("books"), nullptr);
  ASSERT_NE(Book::_meta().find_related("review"), nullptr);
  EXPECT_EQ(Book::_meta().find_related("review")->accessor, "review_set");
}

struct NoMaxLength : db::Model<NoMaxLength> {
  db::CharField name;
  static void meta(db::Meta<NoMaxLength>& m) { m.field(&NoMaxLength::name, "name"); }
};
struct NoOnDelete : db::Model<NoOnDelete> {
  db::ForeignKey<Author> a;
  static void meta(db::Meta<NoOnDelete>& m) { m.field(&NoOnDelete::a, "a"); }
};

TEST(Meta, BadDeclarationsAreReportedByName) {
  try {
    NoMaxLength::_meta();
    FAIL();
  } catch (const db::ImproperlyConfigured& e) {
    EXPECT_STREQ(e.what(), "NoMaxLength.name: CharFields must define a 'max_length' attribute.");
  }
  EXPECT_THROW(NoOnDelete::_meta(), db::ImproperlyConfigured);
}

TEST(Meta, SchemaSql) {
  auto sql = db::SchemaEditor::create_model_sql(Book::_meta());
  ASSERT_GE(sql.size(), 2u);
  EXPECT_NE(sql[0].find("\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT"), std::string::npos) << sql[0];
  EXPECT_NE(sql[0].find("\"title\" varchar(200) NOT NULL"), std::string::npos) << sql[0];
  EXPECT_NE(
      sql[0].find(
          "\"author_id\" bigint NOT NULL REFERENCES \"blog_author\" (\"id\") DEFERRABLE INITIALLY DEFERRED"),
      std::string::npos)
      << sql[0];
  EXPECT_NE(sql[1].find("CREATE INDEX"), std::string::npos);
}

TEST_F(DbTest, SaveInsertsThenUpdates) {
  Author a;
  a.name = "Ann";
  EXPECT_TRUE(a.pk().is_null());
  EXPECT_TRUE(a._state.adding);
  a.save();
  EXPECT_FALSE(a.pk().is_null());
  EXPECT_FALSE(a._state.adding);
  EXPECT_EQ(a.bio.value(), "");  // the default was applied
  a.age = 41;
  a.save();
  EXPECT_EQ(Author::objects().count(), 1);
  auto loaded = Author::objects().get("pk", a.pk());
  EXPECT_EQ(loaded.age.value(), 41);
  EXPECT_EQ(loaded.name, "Ann");
}

TEST_F(DbTest, SaveWithUpdateFieldsWritesOnlyThose) {
  auto a = author("Ann", 30);
  Author stale = Author::objects().get("pk", a.pk());
  a.age = 31;
  a.save();
  stale.bio = "changed";
  stale.save({.update_fields = {"bio"}});
  auto now = Author::objects().get("pk", a.pk());
  EXPECT_EQ(now.age.value(), 31);
  EXPECT_EQ(now.bio.value(), "changed");
}

// Django's checks, the same on the sync and the async path (test_async.cpp): nothing is written.
TEST_F(DbTest, SaveRefusesUpdateFieldsWithForceInsertOrWithoutKey) {
  auto a = author("Ann", 30);
  a.bio = "changed";
  try {
    a.save({.force_insert = true, .update_fields = {"bio"}});
    ADD_FAILURE() << "force_insert with update_fields saved";
  } catch (const db::ValueError& e) {
    EXPECT_STREQ(e.what(), "Cannot force both insert and updating in model saving.");
  }
  Author fresh;
  fresh.name = "Bob";
  try {
    fresh.save({.update_fields = {"name"}});
    ADD_FAILURE() << "update_fields without a primary key saved";
  } catch (const db::ValueError& e) {
    EXPECT_STREQ(e.what(), "Cannot force an update in save() with no primary key.");
  }
  EXPECT_THROW(a.save({.update_fields = {"nope"}}), db::ValueError);
  EXPECT_EQ(Author::objects().count(), 1);
  EXPECT_EQ(Author::objects().get("pk", a.pk()).bio.value(), "");
}

TEST_F(DbTest, DefaultsAndAutoNowAdd) {
  auto a = author("Ann");
  Book b;
  b.title = "T";
  b.author = a;
  b.save();
  auto loaded = Book::objects().get("pk", b.pk());
  EXPECT_EQ(loaded.pages.value(), 0);
  EXPECT_TRUE(loaded.in_print.value());
  EXPECT_EQ(loaded.status.value(), "d");
  EXPECT_FALSE(loaded.created.is_null());
  EXPECT_EQ(loaded.created.value(), b.created.value());
}

TEST_F(DbTest, RefreshFromDbAndDeletedRow) {
  auto a = author("Ann", 30);
  Author::objects().filter("pk", a.pk()).update({{"age", 50}});
  a.refresh_from_db();
  EXPECT_EQ(a.age.value(), 50);
  Author::objects().filter("pk", a.pk()).delete_();
  EXPECT_THROW(a.refresh_from_db(), Author::DoesNotExist);
}

TEST_F(DbTest, DeleteCascadesAndClearsThePk) {
  auto a = author("Ann");
  auto b = book(a, "One", 10);
  Review r;
  r.book = b;
  r.text = "good";
  r.save();
  auto result = a.delete_();
  EXPECT_EQ(result.total, 3);
  EXPECT_EQ(result.per_model["blog.Review"], 1);
  EXPECT_EQ(result.per_model["blog.Book"], 1);
  EXPECT_EQ(result.per_model["blog.Author"], 1);
  EXPECT_TRUE(a.pk().is_null());
  EXPECT_EQ(Review::objects().count(), 0);
  EXPECT_THROW(a.delete_(), db::ValueError);
}

TEST_F(DbTest, DeleteProtectedAndSetNull) {
  Publisher p;
  p.name = "Pub";
  p.save();
  Author a;
  a.name = "Ann";
  a.publisher = p;
  a.save();
  auto b = book(a, "One", 10);
  Loan l;
  l.book = b;
  l.borrower = "Zoe";
  l.save();
  try {
    b.delete_();
    FAIL() << "PROTECT should refuse";
  } catch (const db::ProtectedError& e) {
    EXPECT_NE(std::string(e.what()).find("'Loan.book'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Book::objects().count(), 1);
  p.delete_();
  EXPECT_TRUE(Author::objects().get("name", "Ann").publisher.is_null());
}

TEST_F(DbTest, FullCleanListsEveryFieldError) {
  auto a = author("Ann");
  Book b;
  b.title = "";
  b.author = a;
  b.status = "x";
  try {
    b.full_clean();
    FAIL();
  } catch (const db::ValidationError& e) {
    std::map<std::string, std::string> errs(e.errors().begin(), e.errors().end());
    EXPECT_EQ(errs["title"], "This field cannot be blank.");
    EXPECT_EQ(errs["status"], "Value 'x' is not a valid choice.");
  }
  Author dup;
  dup.name = std::string(101, 'x');
  try {
    dup.full_clean();
    FAIL();
  } catch (const db::ValidationError& e) {
    EXPECT_EQ(e.errors().at(0).second, "Ensure this value has at most 100 characters (it has 101).");
  }
  dup.name = "Ann";
  try {
    dup.full_clean();
    FAIL();
  } catch (const db::ValidationError& e) {
    EXPECT_EQ(e.errors().at(0).second, "Author with this Name already exists.");
  }
  a.full_clean();  // itself is fine
}

TEST_F(DbTest, ForeignKeyLazyLoadInSyncCode) {
  auto a = author("Ann", 30);
  auto b = book(a, "One", 10);
  auto loaded = Book::objects().get("pk", b.pk());
  EXPECT_FALSE(loaded.author.is_cached());
  EXPECT_EQ(loaded.author.id(), a.pk());
  auto before = db::connection().queries_executed();
  EXPECT_EQ(loaded.author->name, "Ann");
  EXPECT_EQ(loaded.author->age.value(), 30);
  EXPECT_EQ(db::connection().queries_executed(), before + 1);  // loaded once, then cached
}

TEST_F(DbTest, ReverseRelationSet) {
  auto a = author("Ann");
  auto other = author("Bob");
  book(a, "One", 10);
  book(a, "Two", 20);
  book(other, "Three", 30);
  auto books = a.related_set(&Book::author).order_by({"title"}).values_list_flat<std::string>("title");
  EXPECT_EQ(books, (std::vector<std::string>{"One", "Two"}));
}
