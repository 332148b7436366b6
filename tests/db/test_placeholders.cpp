#include <gtest/gtest.h>

#include "db/backends/postgresql/placeholders.hpp"

using duet::db::postgresql::to_dollar_placeholders;

TEST(DollarPlaceholders, NumbersEachParameterInOrder) {
  EXPECT_EQ(to_dollar_placeholders(R"(SELECT "a" FROM "t" WHERE "b" = ? AND "c" IN (?, ?))"),
            R"(SELECT "a" FROM "t" WHERE "b" = $1 AND "c" IN ($2, $3))");
  EXPECT_EQ(to_dollar_placeholders("INSERT INTO t VALUES (?,?),(?,?)"),
            "INSERT INTO t VALUES ($1,$2),($3,$4)");
  EXPECT_EQ(to_dollar_placeholders("SELECT 1"), "SELECT 1");
  EXPECT_EQ(to_dollar_placeholders(""), "");
  EXPECT_EQ(to_dollar_placeholders("?"), "$1");
}

TEST(DollarPlaceholders, LeavesStringLiteralsAlone) {
  EXPECT_EQ(to_dollar_placeholders("SELECT '?', ? WHERE x LIKE '%?%' ESCAPE '\\'"),
            "SELECT '?', $1 WHERE x LIKE '%?%' ESCAPE '\\'");
  // A doubled quote does not end the literal.
  EXPECT_EQ(to_dollar_placeholders("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  // E'...' takes backslash escapes: \' does not end it.
  EXPECT_EQ(to_dollar_placeholders("SELECT E'a\\'?', ?"), "SELECT E'a\\'?', $1");
  // In a plain literal a backslash is an ordinary character (standard_conforming_strings).
  EXPECT_EQ(to_dollar_placeholders("SELECT 'a\\', ?"), "SELECT 'a\\', $1");
  // An identifier ending in E before a quote is not an E'' prefix.
  EXPECT_EQ(to_dollar_placeholders("SELECT typE'a\\', ?"), "SELECT typE'a\\', $1");
}

TEST(DollarPlaceholders, LeavesQuotedIdentifiersAlone) {
  EXPECT_EQ(to_dollar_placeholders(R"(SELECT "what?" , "a""?" FROM t WHERE x = ?)"),
            R"(SELECT "what?" , "a""?" FROM t WHERE x = $1)");
}

TEST(DollarPlaceholders, LeavesCommentsAlone) {
  EXPECT_EQ(to_dollar_placeholders("SELECT ? -- why?\n, ?"), "SELECT $1 -- why?\n, $2");
  EXPECT_EQ(to_dollar_placeholders("SELECT ? -- why?"), "SELECT $1 -- why?");
  EXPECT_EQ(to_dollar_placeholders("SELECT /* ? /* nested ? */ still ? */ ?"),
            "SELECT /* ? /* nested ? */ still ? */ $1");
  // A lone minus or slash is an operator.
  EXPECT_EQ(to_dollar_placeholders("SELECT ? - ? / ?"), "SELECT $1 - $2 / $3");
}

TEST(DollarPlaceholders, LeavesDollarQuotedBodiesAndExistingParametersAlone) {
  EXPECT_EQ(to_dollar_placeholders("DO $$ BEGIN PERFORM '?'; END $$; SELECT ?"),
            "DO $$ BEGIN PERFORM '?'; END $$; SELECT $1");
  EXPECT_EQ(to_dollar_placeholders("SELECT $fn$ ? $fn$, ?"), "SELECT $fn$ ? $fn$, $1");
  // $1 is already a parameter, not a dollar quote.
  EXPECT_EQ(to_dollar_placeholders("SELECT $1, ?"), "SELECT $1, $1");
}

TEST(DollarPlaceholders, CopiesUnterminatedTextAsIs) {
  EXPECT_EQ(to_dollar_placeholders("SELECT ?, 'open ?"), "SELECT $1, 'open ?");
  EXPECT_EQ(to_dollar_placeholders("SELECT ?, \"open ?"), "SELECT $1, \"open ?");
  EXPECT_EQ(to_dollar_placeholders("SELECT ? /* open ?"), "SELECT $1 /* open ?");
  EXPECT_EQ(to_dollar_placeholders("SELECT ? $q$ open ?"), "SELECT $1 $q$ open ?");
  EXPECT_EQ(to_dollar_placeholders("SELECT E'\\"), "SELECT E'\\");
}

TEST(DollarPlaceholders, NumbersPastNine) {
  std::string sql;
  std::string expected;
  for (int i = 1; i <= 12; ++i) {
    sql += i == 1 ? "?" : ",?";
    expected += (i == 1 ? "$" : ",$") + std::to_string(i);
  }
  EXPECT_EQ(to_dollar_placeholders(sql), expected);
}

TEST(DollarPlaceholders, CountsTheParameters) {
  std::size_t n = 99;
  EXPECT_EQ(to_dollar_placeholders("SELECT ?, '?', ? -- ?", n), "SELECT $1, '?', $2 -- ?");
  EXPECT_EQ(n, 2u);
  to_dollar_placeholders("SELECT 1", n);
  EXPECT_EQ(n, 0u);
}
