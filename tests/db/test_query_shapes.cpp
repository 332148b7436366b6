// The per-thread caches of query shapes (src/db/shape_cache.*): a repeated shape reuses its checked lookups
// and compiled SQL, but every run binds its own values, and what is not a pure shape is never reused.
#include <gtest/gtest.h>

#include <functional>

#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using blog::Book;
using db::Q;
using duet::db::testing::DbTest;

namespace {

class QueryShapeTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    auto ann = Author::objects().create({{"name", "Ann"}, {"age", 30}});
    for (auto [title, pages] : {std::pair{"Dune", 412}, {"Emma", 300}, {"Faust", 150}}) {
      Book b;
      b.title = title;
      b.pages = pages;
      b.author = ann;
      b.published = db::parse_datetime("2020-03-01 10:00:00");
      b.save();
    }
  }
  static std::vector<std::string> titles(const db::QuerySet<Book>& qs) {
    std::vector<std::string> out;
    for (auto& b : qs.order_by({"title"}).list())
      out.push_back(b.title.value());
    return out;
  }
  using V = std::vector<std::string>;
};

}  // namespace

TEST_F(QueryShapeTest, SameShapeBindsEachRunsValues) {
  // The second and third queries reuse the first one's SQL: only the values differ.
  EXPECT_EQ(titles(Book::objects().filter("title", "Dune")), V{"Dune"});
  EXPECT_EQ(titles(Book::objects().filter("title", "Emma")), V{"Emma"});
  EXPECT_EQ(titles(Book::objects().filter("title", "Nope")), V{});
  for (auto [title, pages] : {std::pair{"Dune", 412}, {"Faust", 150}, {"Emma", 300}})
    EXPECT_EQ(Book::objects().get("title", title).pages.value(), pages);
}

TEST_F(QueryShapeTest, CachedCompileEqualsFreshCompileInValueOrder) {
  // A shape with OR, IN, a negation and a slice: the cached compile puts the new values where a fresh
  // compile puts them (WHERE in tree order, then LIMIT/OFFSET).
  auto make = [](std::int64_t pages, std::string a, std::string b, std::int64_t start) {
    return Book::objects()
        .filter(Q("pages__gt", pages) | Q("title__in", std::vector<db::Value>{db::Value(a), db::Value(b)}))
        .exclude("pages__lte", pages / 2)
        .order_by({"-pages"})
        .slice(start, start + 2);
  };
  auto first = db::detail::compile_select(make(100, "Dune", "Emma", 1).query());
  auto second = db::detail::compile_select(make(7, "X", "Y", 1).query());
  EXPECT_EQ(first.sql, second.sql);
  ASSERT_EQ(first.params.size(), second.params.size());
  std::vector<db::Value> expected_first{db::Value(100), db::Value("Dune"), db::Value("Emma"), db::Value(50)};
  std::vector<db::Value> expected_second{db::Value(7), db::Value("X"), db::Value("Y"), db::Value(3)};
  for (std::size_t i = 0; i < expected_first.size(); ++i) {
    EXPECT_EQ(first.params[i], expected_first[i]) << i;
    EXPECT_EQ(second.params[i], expected_second[i]) << i;
  }
  // The rows follow the values too.
  auto rows = make(200, "Faust", "Nope", 0).list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].title.value(), "Dune");
  EXPECT_EQ(rows[1].title.value(), "Emma");
}

TEST_F(QueryShapeTest, NullListLengthAndLookupArePartOfTheShape) {
  auto sql = [](const db::QuerySet<Book>& qs) { return db::detail::compile_select(qs.query()).sql; };
  auto with_value = sql(Book::objects().filter("rating", 4.0));
  auto with_null = sql(Book::objects().filter("rating", db::Value()));
  EXPECT_NE(with_value, with_null);
  EXPECT_NE(with_null.find("IS NULL"), std::string::npos);
  EXPECT_EQ(sql(Book::objects().filter("rating", 4.0)), with_value);
  auto two = sql(Book::objects().filter("pages__in", std::vector<db::Value>{db::Value(1), db::Value(2)}));
  auto three = sql(
      Book::objects().filter("pages__in", std::vector<db::Value>{db::Value(1), db::Value(2), db::Value(3)}));
  EXPECT_NE(two, three);
  EXPECT_EQ(
      titles(Book::objects().filter("pages__in", std::vector<db::Value>{db::Value(150), db::Value(300)})),
      (V{"Emma", "Faust"}));
  EXPECT_EQ(titles(Book::objects().filter(
                "pages__in", std::vector<db::Value>{db::Value(150), db::Value(300), db::Value(412)})),
            (V{"Dune", "Emma", "Faust"}));
  // A value-derived lookup (contains escapes its value into the parameter) is compiled every time.
  EXPECT_EQ(titles(Book::objects().filter("title__contains", "un")), V{"Dune"});
  EXPECT_EQ(titles(Book::objects().filter("title__contains", "m")), V{"Emma"});
}

TEST_F(QueryShapeTest, ErrorsAreNeverCached) {
  // A bad name fails every time, and a good shape does not make a bad value of the same lookup pass.
  EXPECT_THROW(Book::objects().filter("nope", 1), db::FieldError);
  EXPECT_THROW(Book::objects().filter("nope", 1), db::FieldError);
  EXPECT_EQ(titles(Book::objects().filter("pages__in", std::vector<db::Value>{db::Value(150)})), V{"Faust"});
  EXPECT_THROW(Book::objects().filter("pages__in", 150), db::ValueError);
  EXPECT_THROW(Book::objects().filter("pages__in", 150), db::ValueError);
}

TEST_F(QueryShapeTest, AWindowCompilesAsTheSlicedQueryWithoutCopyingIt) {
  // get()'s implicit [0:21]: the same SQL and values as slicing the query, fresh and from the cache.
  for (int run = 0; run < 2; ++run) {
    auto qs = Book::objects().filter("pages__gt", 100 + run).order_by({"title"});
    auto windowed = db::detail::compile_select_window(qs.query(), 0, 21);
    auto sliced = db::detail::compile_select(qs.slice(0, 21).query());
    EXPECT_EQ(windowed.sql, sliced.sql) << run;
    EXPECT_EQ(windowed.params, sliced.params) << run;
    // A window over a sliced query narrows it, as slice() does.
    auto narrowed = db::detail::compile_select_window(qs.slice(1, 3).query(), 0, 21);
    auto twice = db::detail::compile_select(qs.slice(1, 3).slice(0, 21).query());
    EXPECT_EQ(narrowed.sql, twice.sql) << run;
    EXPECT_EQ(narrowed.params, twice.params) << run;
  }
  EXPECT_EQ(Book::objects().filter("pages__gt", 200).order_by({"title"}).slice(0, 21).list().size(), 2u);
}

TEST_F(QueryShapeTest, ACachedShapeCarriesItsPostgresqlTextSharedByEveryQuery) {
  auto a = db::detail::compile_select(Book::objects().filter("title", "Dune").query());
  auto b = db::detail::compile_select(Book::objects().filter("title", "Emma").query());
  if (db::testing::on_postgresql()) {
    ASSERT_TRUE(a.native_sql);
    EXPECT_EQ(a.native_sql, b.native_sql);  // one text, shared: the driver finds its statement by address
    EXPECT_NE(a.sql.find('?'), std::string::npos);
    EXPECT_EQ(a.native_sql->find('?'), std::string::npos);
    EXPECT_NE(a.native_sql->find("$1"), std::string::npos);
  } else {
    EXPECT_FALSE(a.native_sql);
    EXPECT_FALSE(b.native_sql);
  }
  // Not a shape (an annotation): nothing cached, nothing shared.
  auto annotated = db::detail::compile_select(
      Book::objects().annotate({{"double_pages", db::F("pages") * 2}}).filter("title", "Dune").query());
  EXPECT_FALSE(annotated.native_sql);
}

TEST_F(QueryShapeTest, SimpleShapesAreToldApartByEveryPart) {
  // The simple shapes (one condition on a value, no ordering) are found without their key: each part the
  // key holds still makes a shape of its own, also when more shapes than the few kept take turns.
  using Make = std::function<db::QuerySet<Book>(std::int64_t)>;
  std::vector<Make> makes = {
      [](std::int64_t n) { return Book::objects().filter("pages", n); },
      [](std::int64_t n) { return Book::objects().exclude("pages", n); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n); },
      [](std::int64_t n) { return Book::objects().filter("pages__lt", n); },
      [](std::int64_t n) { return Book::objects().filter(db::F(&Book::pages).gte(n)); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n).slice(1); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n).slice(0, 2); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n).distinct(); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n).reverse(); },
      [](std::int64_t n) { return Book::objects().filter("pages__gt", n).order_by({}); },
      [](std::int64_t) { return Book::objects().all(); },
      [](std::int64_t n) { return Book::objects().filter("id", n); },
  };
  // A compile as text: its SQL and its parameters but the first (the condition's value, which varies).
  auto render = [](const db::CompiledQuery& c) {
    std::string s = c.sql;
    for (std::size_t i = 1; i < c.params.size(); ++i)
      s += " | " + c.params[i].repr();
    return s;
  };
  std::vector<std::string> first;
  for (auto& make : makes)
    first.push_back(render(db::detail::compile_select(make(1).query())));
  EXPECT_NE(first[0], first[1]);  // negated
  EXPECT_NE(first[2], first[3]);  // lookup
  EXPECT_NE(first[3], first[4]);
  EXPECT_NE(first[2], first[5]);  // window
  EXPECT_NE(first[5], first[6]);
  EXPECT_NE(first[2], first[7]);   // distinct
  EXPECT_NE(first[0], first[10]);  // no condition
  EXPECT_NE(first[0], first[11]);  // field
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < makes.size(); ++i) {
      auto compiled = db::detail::compile_select(makes[i](round + 2).query());
      EXPECT_EQ(render(compiled), first[i]) << i;
      if (i == 10) continue;  // all(): no value
      ASSERT_FALSE(compiled.params.empty()) << i;
      EXPECT_EQ(compiled.params[0], db::Value(round + 2)) << i;
    }
  }
  // The rows follow.
  EXPECT_EQ(titles(Book::objects().exclude("pages", 300)), (V{"Dune", "Faust"}));
  EXPECT_EQ(titles(Book::objects().filter("pages__lt", 300)), V{"Faust"});
  EXPECT_EQ(Book::objects().filter("pages__gt", 100).slice(0, 2).list().size(), 2u);
}

TEST_F(QueryShapeTest, ACheckedConditionIsCheckedPerModel) {
  // `pages` passed on Book; on Author it is still an unknown name, every time.
  EXPECT_NO_THROW(Book::objects().filter("pages", 1));
  EXPECT_NO_THROW(Book::objects().filter("pages", 2));
  EXPECT_THROW(Author::objects().filter("pages", 1), db::FieldError);
  EXPECT_THROW(Author::objects().filter("pages", 1), db::FieldError);
  EXPECT_THROW(Author::objects().exclude("pages", 1), db::FieldError);
  // A NULL value is never a simple condition (IS NULL): checked the general way, and it compiles.
  EXPECT_EQ(titles(Book::objects().filter("rating", db::Value())).size(), 3u);
}

TEST_F(QueryShapeTest, GetLimitVerdictIsRememberedWithTheShape) {
  // aget()'s select goes without get()'s [0:21] only where one row at most can match (a primary key equal
  // to a value). The verdict is kept with the shape: it holds run after run, beside the same shapes compiled
  // with and without that window by other calls (a list(), a slice), in either order.
  using Make = std::function<db::QuerySet<Book>(std::int64_t)>;
  const std::vector<std::pair<Make, bool>> cases = {
      {[](std::int64_t n) { return Book::objects().filter("pk", n); }, false},
      {[](std::int64_t n) { return Book::objects().filter("id", n); }, false},
      {[](std::int64_t n) { return Book::objects().exclude("pk", n); }, true},
      {[](std::int64_t n) { return Book::objects().filter("pages", n); }, true},
      {[](std::int64_t n) { return Book::objects().filter("pages", n).distinct(); }, true},
      {[](std::int64_t n) { return Book::objects().filter("pk", n).slice(0, 1); }, false},
      {[](std::int64_t n) { return Book::objects().filter("pages", n).slice(0, 1); }, false},
  };
  auto text = [](const db::CompiledQuery& c) { return c.native_sql ? *c.native_sql : c.sql; };
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Make& make = cases[i].first;
      const bool limited = cases[i].second;
      auto qs = make(round + 1);
      auto expected = limited ? db::detail::compile_select_window(qs.query(), 0, 21)
                              : db::detail::compile_select(qs.query());
      // The shape with the other window: compiled before the get in odd rounds, after it in even ones.
      auto other_window = [&] {
        if (limited) {
          db::detail::compile_select(qs.query());
        } else if (!qs.query().is_sliced()) {
          db::detail::compile_select_window(qs.query(), 0, 21);
        }
      };
      if (round % 2) other_window();
      auto got = db::detail::compile_get_native(qs.query());
      if (round % 2 == 0) other_window();
      EXPECT_EQ(text(got), text(expected)) << i << " round " << round;
      EXPECT_EQ(got.params, expected.params) << i << " round " << round;
      EXPECT_EQ(text(got).find("LIMIT") != std::string::npos, limited || qs.query().is_sliced()) << i;
    }
  }
}
