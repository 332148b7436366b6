// DATABASES and DATABASE_URL for PostgreSQL, vendor_of(), and the SQL each backend's dialect writes
// (compiled without a connection: the PostgreSQL entries below point nowhere).
#include <gtest/gtest.h>

#include "models.hpp"

namespace db = duet::db;
using blog::Author;
using blog::Book;

TEST(DatabaseUrl, ParsesPostgresForms) {
  auto s = db::DatabaseSettings::from_url("postgres://app:s%40cret@db.example.com:6432/shop?sslmode=require");
  EXPECT_EQ(s.engine, "postgresql");
  EXPECT_EQ(s.user, "app");
  EXPECT_EQ(s.password, "s@cret");
  EXPECT_EQ(s.host, "db.example.com");
  EXPECT_EQ(s.port, "6432");
  EXPECT_EQ(s.name, "shop");
  ASSERT_EQ(s.options.size(), 1u);
  EXPECT_EQ(s.options.at("sslmode"), "require");

  auto t = db::DatabaseSettings::from_url("postgresql://%2Fvar%2Frun%2Fpostgresql/app");
  EXPECT_EQ(t.host, "/var/run/postgresql");
  EXPECT_EQ(t.name, "app");
  EXPECT_TRUE(t.user.empty());
  EXPECT_TRUE(t.port.empty());

  auto v6 = db::DatabaseSettings::from_url("postgres://u@[::1]:5433/d");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, "5433");

  // Everything optional: libpq's defaults (PGHOST, ...) apply.
  auto bare = db::DatabaseSettings::from_url("postgres://");
  EXPECT_EQ(bare.engine, "postgresql");
  EXPECT_TRUE(bare.host.empty() && bare.name.empty());
}

TEST(DatabaseUrl, RejectsMalformedPostgresUrls) {
  EXPECT_THROW(db::DatabaseSettings::from_url("postgres://h:port/d"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("postgres://h/d?sslmode"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("postgres://u:%zz@h/d"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("postgres://[::1/d"), db::ImproperlyConfigured);
  EXPECT_THROW(db::DatabaseSettings::from_url("mysql://u@h/d"), db::ImproperlyConfigured);
}

TEST(DatabaseSettings, ConninfoQuotesEachValue) {
  db::DatabaseSettings s;
  s.engine = "postgresql";
  s.host = "localhost";
  s.port = "5432";
  s.user = "o'brien";
  s.password = "a b\\c";
  s.name = "app";
  s.options = {{"sslmode", "disable"}, {"application_name", "shop"}};
  EXPECT_EQ(s.conninfo(),
            "host='localhost' port='5432' user='o\\'brien' password='a b\\\\c' dbname='app' "
            "application_name='shop' sslmode='disable'");
  EXPECT_EQ(db::DatabaseSettings{}.conninfo(), "");
  db::DatabaseSettings timeout;
  timeout.options = {{"options", "-c statement_timeout=5000"}};
  EXPECT_EQ(timeout.conninfo(), "options='-c TimeZone=UTC -c statement_timeout=5000'");
}

TEST(Configure, AcceptsPostgresqlEngineNamesAndKnowsTheVendor) {
  for (const char* engine : {"postgresql", "postgres", "django.db.backends.postgresql"}) {
    db::DatabaseSettings pg;
    pg.engine = engine;
    pg.name = "app";
    db::DatabaseSettings lite;
    lite.engine = "django.db.backends.sqlite3";
    lite.name = ":memory:";
    db::configure({{"default", lite}, {"pg", pg}});
    EXPECT_EQ(db::database_settings("pg").engine, "postgresql") << engine;
    EXPECT_EQ(db::vendor_of("pg"), "postgresql");
    EXPECT_EQ(db::vendor_of("default"), "sqlite");
  }
  EXPECT_THROW(db::vendor_of("replica"), db::ImproperlyConfigured);
  // PostgreSQL may leave NAME to libpq (PGDATABASE); SQLite may not.
  EXPECT_NO_THROW(db::configure({{"default", {.engine = "postgresql"}}}));
  db::DatabaseSettings bad;
  bad.engine = "postgresql";
  bad.options = {{"host=x dbname", "y"}};
  EXPECT_THROW(db::configure({{"default", bad}}), db::ImproperlyConfigured);
}

namespace {

// Configures "default" as `vendor` (never connected) and compiles `qs`.
template <class QS>
db::CompiledQuery compiled_on(std::string_view vendor, const QS& qs) {
  db::DatabaseSettings s;
  s.engine = std::string(vendor);
  s.name = vendor == "sqlite" ? ":memory:" : "nowhere";
  s.host = vendor == "sqlite" ? "" : "/nonexistent";
  db::configure({{"default", s}});
  return db::detail::compile_select(qs.query());
}

}  // namespace

// Each expected string is what Django 3.2 writes for the same lookup on that backend (str(qs.query)),
// with duet's parameters left as ?.
TEST(Dialect, PatternLookups) {
  auto qs = Author::objects().filter("name__icontains", "a%b");
  auto pg = compiled_on("postgresql", qs);
  EXPECT_NE(pg.sql.find(R"(WHERE (UPPER("blog_author"."name"::text) LIKE UPPER(?)))"), std::string::npos)
      << pg.sql;
  ASSERT_EQ(pg.params.size(), 1u);
  EXPECT_EQ(pg.params[0].as_string(), "%a\\%b%");
  auto lite = compiled_on("sqlite", qs);
  EXPECT_NE(lite.sql.find(R"(WHERE ("blog_author"."name" LIKE ? ESCAPE '\'))"), std::string::npos)
      << lite.sql;

  auto contains = compiled_on("postgresql", Author::objects().filter("name__contains", "_x"));
  EXPECT_NE(contains.sql.find(R"("blog_author"."name"::text LIKE ?)"), std::string::npos) << contains.sql;
  EXPECT_EQ(contains.params.at(0).as_string(), "%\\_x%");
  auto lite_contains = compiled_on("sqlite", Author::objects().filter("name__contains", "*x"));
  EXPECT_NE(lite_contains.sql.find("GLOB ?"), std::string::npos);
  EXPECT_EQ(lite_contains.params.at(0).as_string(), "*[*]x*");

  auto iexact = compiled_on("postgresql", Author::objects().filter("name__iexact", "ann"));
  EXPECT_NE(iexact.sql.find(R"(UPPER("blog_author"."name"::text) = UPPER(?))"), std::string::npos)
      << iexact.sql;
  auto starts = compiled_on("postgresql", Author::objects().filter("name__istartswith", "a"));
  EXPECT_EQ(starts.params.at(0).as_string(), "a%");
  auto ends = compiled_on("postgresql", Author::objects().filter("name__endswith", "z"));
  EXPECT_EQ(ends.params.at(0).as_string(), "%z");

  auto regex = compiled_on("postgresql", Author::objects().filter("name__regex", "^A"));
  EXPECT_NE(regex.sql.find(R"("blog_author"."name"::text ~ ?)"), std::string::npos) << regex.sql;
  auto iregex = compiled_on("postgresql", Author::objects().filter("name__iregex", "^a"));
  EXPECT_NE(iregex.sql.find(R"("blog_author"."name"::text ~* ?)"), std::string::npos) << iregex.sql;
}

TEST(Dialect, DateTransforms) {
  auto year = compiled_on("postgresql", Book::objects().filter("published__year", 2024));
  EXPECT_NE(year.sql.find(R"(CAST(EXTRACT(YEAR FROM "blog_book"."published") AS INTEGER) = ?)"),
            std::string::npos)
      << year.sql;
  auto wd = compiled_on("postgresql", Book::objects().filter("published__week_day", 1));
  EXPECT_NE(wd.sql.find(R"((CAST(EXTRACT(DOW FROM "blog_book"."published") AS INTEGER) + 1) = ?)"),
            std::string::npos)
      << wd.sql;
  auto date = compiled_on("postgresql", Book::objects().filter("published__date", "2024-05-01"));
  EXPECT_NE(date.sql.find(R"(("blog_book"."published")::date = ?)"), std::string::npos) << date.sql;
  auto lite = compiled_on("sqlite", Book::objects().filter("published__year", 2024));
  EXPECT_NE(lite.sql.find(R"(CAST(strftime('%Y', "blog_book"."published") AS INTEGER) = ?)"),
            std::string::npos)
      << lite.sql;
}

TEST(Dialect, OffsetWithoutLimit) {
  auto pg = compiled_on("postgresql", Book::objects().order_by({"title"}).slice(5));
  EXPECT_EQ(pg.sql.substr(pg.sql.size() - 9), " OFFSET ?") << pg.sql;
  EXPECT_EQ(pg.sql.find("LIMIT"), std::string::npos) << pg.sql;
  ASSERT_EQ(pg.params.size(), 1u);
  EXPECT_EQ(pg.params[0].as_int(), 5);
  auto window = compiled_on("postgresql", Book::objects().order_by({"title"}).slice(0, 3));
  EXPECT_EQ(window.sql.substr(window.sql.size() - 8), " LIMIT ?") << window.sql;
  auto lite = compiled_on("sqlite", Book::objects().order_by({"title"}).slice(5));
  EXPECT_EQ(lite.sql.substr(lite.sql.size() - 17), " LIMIT ? OFFSET ?");
  EXPECT_EQ(lite.params.at(0).as_int(), -1);
}
