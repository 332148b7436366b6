// The loader's graph, the recorder table, and the executor migrating forwards, back to a named migration
// and to zero; sqlmigrate's SQL.
#include "support.hpp"

namespace duet::db::migrations::testing {
namespace {

std::vector<Migration> shop_migrations() {
  return {
      Migration{.app = "shop", .name = "0001_initial", .dependencies = {}, .operations = {product_model()}},
      Migration{.app = "shop",
                .name = "0002_product_stock",
                .dependencies = {{"shop", "0001_initial"}},
                .operations = {AddField("product", Field("stock", FieldType::IntegerField).default_(1))}},
      Migration{.app = "shop",
                .name = "0003_order",
                .dependencies = {{"shop", "0002_product_stock"}},
                .operations = {CreateModel(
                    "Order", {Field("id", FieldType::BigAutoField).primary_key(),
                              Field("product", FieldType::ForeignKey, "shop.Product").on_delete(CASCADE)})}},
  };
}

class ExecutorTest : public MigrationTest {};

TEST_F(ExecutorTest, LoaderOrdersByDependencies) {
  auto list = shop_migrations();
  std::reverse(list.begin(), list.end());
  MigrationLoader loader(list);
  ASSERT_EQ(loader.order().size(), 3u);
  EXPECT_EQ(loader.order()[0]->name, "0001_initial");
  EXPECT_EQ(loader.order()[2]->name, "0003_order");
  EXPECT_EQ(loader.leaf("shop")->name, "0003_order");
  EXPECT_EQ(loader.get_by_prefix("shop", "0002").name, "0002_product_stock");
  auto state = loader.project_state();
  EXPECT_NE(state.model("shop", "product").find_field("stock"), nullptr);
  EXPECT_NE(state.find("shop", "order"), nullptr);
}

TEST_F(ExecutorTest, LoaderRejectsMissingDependencyAndCycles) {
  EXPECT_THROW(MigrationLoader({Migration{.app = "a", .name = "0001", .dependencies = {{"a", "0000"}}}}),
               ImproperlyConfigured);
  EXPECT_THROW(MigrationLoader({Migration{.app = "a", .name = "1", .dependencies = {{"a", "2"}}},
                                Migration{.app = "a", .name = "2", .dependencies = {{"a", "1"}}}}),
               ImproperlyConfigured);
  EXPECT_THROW(MigrationLoader({Migration{.app = "a", .name = "1"}, Migration{.app = "a", .name = "1"}}),
               ImproperlyConfigured);
  MigrationLoader two_leaves({Migration{.app = "a", .name = "1"}, Migration{.app = "a", .name = "2"}});
  EXPECT_THROW(two_leaves.leaf("a"), ImproperlyConfigured);
}

TEST_F(ExecutorTest, MigrateAppliesAllInOrderAndRecords) {
  auto list = shop_migrations();
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  std::vector<std::string> seen;
  executor.migrate(executor.plan({}), [&](const PlanStep& s, std::string_view event) {
    if (event == "done") seen.push_back(s.migration->name);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"0001_initial", "0002_product_stock", "0003_order"}));
  EXPECT_TRUE(has_table("shop_order"));
  EXPECT_TRUE(columns("shop_product").count("stock"));
  EXPECT_EQ(executor.recorder().applied().size(), 3u);
  EXPECT_EQ(count("duet_migrations"), 3);
  // Foreign keys are enforced again afterwards (SQLite turns them off for its rebuilds).
  if (!postgresql()) EXPECT_EQ(connection().query("PRAGMA foreign_keys")[0][0].as_int(), 1);
  // Nothing left to do.
  EXPECT_TRUE(executor.plan({}).empty());
}

TEST_F(ExecutorTest, MigrateBackToNamedMigrationKeepsData) {
  auto list = shop_migrations();
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  executor.migrate();
  connection().execute("INSERT INTO shop_product (name, price, stock) VALUES ('pen', 2, 9)");
  connection().execute("INSERT INTO shop_order (product_id) VALUES (1)");

  auto plan = executor.plan({{"shop", "0001"}});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_TRUE(plan[0].backwards);
  EXPECT_EQ(plan[0].migration->name, "0003_order");
  EXPECT_EQ(plan[1].migration->name, "0002_product_stock");
  executor.migrate(plan);
  EXPECT_FALSE(has_table("shop_order"));
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
  EXPECT_EQ(count("shop_product"), 1);
  EXPECT_EQ(executor.recorder().applied(), (std::set<Dependency>{{"shop", "0001_initial"}}));

  // And forwards again: the column returns with its default.
  executor.migrate({{"shop", ""}});
  EXPECT_EQ(connection().query("SELECT stock FROM shop_product")[0][0].as_int(), 1);
}

TEST_F(ExecutorTest, MigrateToZeroUnappliesEverything) {
  auto list = shop_migrations();
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  executor.migrate();
  executor.migrate({{"shop", "zero"}});
  EXPECT_FALSE(has_table("shop_product"));
  EXPECT_FALSE(has_table("shop_order"));
  EXPECT_TRUE(executor.recorder().applied().empty());
}

TEST_F(ExecutorTest, FailingMigrationRollsBackAndIsNotRecorded) {
  auto list = shop_migrations();
  list.push_back(Migration{.app = "shop",
                           .name = "0004_bad",
                           .dependencies = {{"shop", "0003_order"}},
                           .operations = {AddField("order", Field("note", FieldType::TextField).null()),
                                          RunSQL("THIS IS NOT SQL")}});
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  // A syntax error is SQLite's OperationalError and PostgreSQL's ProgrammingError (42601), as in Django.
  if (postgresql()) {
    EXPECT_THROW(executor.migrate(), ProgrammingError);
  } else {
    EXPECT_THROW(executor.migrate(), OperationalError);
  }
  EXPECT_EQ(executor.recorder().applied().size(), 3u);
  // The column added before the failure went with the transaction: DDL is transactional on both.
  EXPECT_EQ(columns("shop_order"), (std::set<std::string>{"id", "product_id"}));
  if (!postgresql()) EXPECT_EQ(connection().query("PRAGMA foreign_keys")[0][0].as_int(), 1);
}

TEST_F(ExecutorTest, BrokenForeignKeyAfterMigrationRollsBack) {
  auto list = shop_migrations();
  list.push_back(Migration{.app = "shop",
                           .name = "0004_orphan",
                           .dependencies = {{"shop", "0003_order"}},
                           .operations = {RunSQL("INSERT INTO shop_order (product_id) VALUES (42)")}});
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  EXPECT_THROW(executor.migrate(), IntegrityError);
  EXPECT_EQ(count("shop_order"), 0);
  EXPECT_EQ(executor.recorder().applied().size(), 3u);
}

TEST_F(ExecutorTest, IrreversibleMigrationCannotGoBack) {
  auto list = shop_migrations();
  list.push_back(Migration{.app = "shop",
                           .name = "0004_data",
                           .dependencies = {{"shop", "0003_order"}},
                           .operations = {RunSQL("UPDATE shop_product SET price = 0")}});
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  executor.migrate();
  EXPECT_THROW(executor.migrate({{"shop", "0003"}}), NotSupportedError);
  EXPECT_EQ(executor.recorder().applied().size(), 4u);
}

TEST_F(ExecutorTest, MigrateInsideAtomicIsRefused) {
  auto list = shop_migrations();
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  transaction::atomic tx;
  if (postgresql()) {
    // Only SQLite's editor needs to run outside a transaction (its foreign-key pragma); on PostgreSQL a
    // migration inside atomic() is part of the caller's transaction, as in Django.
    executor.migrate();
    EXPECT_TRUE(has_table("shop_order"));
  } else {
    EXPECT_THROW(executor.migrate(), NotSupportedError);
  }
}

TEST_F(ExecutorTest, CollectSqlForSqlmigrate) {
  auto list = shop_migrations();
  MigrationLoader loader(list);
  MigrationExecutor executor(loader);
  auto sql = executor.collect_sql(loader.get("shop", "0003_order"), false);
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_EQ(sql[0].first, "Create model Order");
  if (postgresql()) {
    // The key and its index come after the table, Django's deferred SQL.
    EXPECT_EQ(
        sql[0].second,
        (std::vector<std::string>{
            "CREATE TABLE \"shop_order\" (\"id\" bigserial NOT NULL PRIMARY KEY, \"product_id\" bigint NOT "
            "NULL)",
            "ALTER TABLE \"shop_order\" ADD CONSTRAINT \"" +
                ddl::foreign_key_name("shop_order", "product_id", "shop_product", "id") +
                "\" FOREIGN KEY (\"product_id\") REFERENCES \"shop_product\" (\"id\") DEFERRABLE INITIALLY "
                "DEFERRED",
            "CREATE INDEX \"" + key_index_name("shop_order", "product_id") +
                "\" ON \"shop_order\" (\"product_id\")"}));
    EXPECT_EQ(executor.collect_sql(loader.get("shop", "0003_order"), true)[0].second[0],
              "DROP TABLE \"shop_order\" CASCADE");
    EXPECT_FALSE(has_table("shop_product"));  // nothing ran
    return;
  }
  EXPECT_EQ(
      sql[0].second[0],
      "CREATE TABLE \"shop_order\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"product_id\" bigint "
      "NOT NULL REFERENCES \"shop_product\" (\"id\") DEFERRABLE INITIALLY DEFERRED)");
  auto back = executor.collect_sql(loader.get("shop", "0003_order"), true);
  EXPECT_EQ(back[0].second[0], "DROP TABLE \"shop_order\"");
  EXPECT_FALSE(has_table("shop_product"));  // nothing ran
}

}  // namespace
}  // namespace duet::db::migrations::testing
