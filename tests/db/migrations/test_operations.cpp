// Each migration operation on the state and on a real SQLite database, forwards and backwards; the
// table-rebuild keeps rows.
#include "support.hpp"

namespace duet::db::migrations::testing {
namespace {

class OperationTest : public MigrationTest {
 protected:
  void SetUp() override {
    MigrationTest::SetUp();
    state_ = forwards(product_model(), {});
    connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 2), ('ink', 5)");
  }
  ProjectState state_;
};

TEST_F(OperationTest, CreateModelMakesTableAndStateAndDeleteModelUndoesIt) {
  EXPECT_TRUE(has_table("shop_product"));
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
  ASSERT_NE(state_.find("shop", "product"), nullptr);
  EXPECT_EQ(state_.model("shop", "Product").db_table(), "shop_product");

  Operation del = DeleteModel("Product");
  auto after = forwards(del, state_);
  EXPECT_FALSE(has_table("shop_product"));
  EXPECT_EQ(after.find("shop", "product"), nullptr);
  backwards(del, state_, after);
  EXPECT_TRUE(has_table("shop_product"));
}

TEST_F(OperationTest, CreateModelWithForeignKeyReferencesTargetAndIndexesKey) {
  Operation op =
      CreateModel("Order", {Field("id", FieldType::BigAutoField).primary_key(),
                            Field("product", FieldType::ForeignKey, "shop.Product").on_delete(CASCADE)});
  forwards(op, state_);
  EXPECT_EQ(columns("shop_order"), (std::set<std::string>{"id", "product_id"}));
  EXPECT_TRUE(has_index(key_index_name("shop_order", "product_id")));
  EXPECT_EQ(references("shop_order"), (std::vector<std::string>{"shop_product"}));
}

TEST_F(OperationTest, CreateModelNeedsExactlyOnePrimaryKey) {
  Operation op = CreateModel("Bad", {Field("name", FieldType::TextField)});
  ProjectState s = state_;
  EXPECT_THROW(op->state_forwards("shop", s), FieldError);
}

TEST_F(OperationTest, AddFieldRebuildsKeepingRowsAndFillsDefault) {
  Operation op = AddField("product", Field("stock", FieldType::IntegerField).default_(7));
  auto after = forwards(op, state_);
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price", "stock"}));
  EXPECT_TRUE(not_null("shop_product", "stock"));
  auto rows = connection().query("SELECT id, name, price, stock FROM shop_product ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].as_string(), "pen");
  EXPECT_EQ(rows[1][2].as_int(), 5);
  EXPECT_EQ(rows[1][3].as_int(), 7);
  // New rows keep counting from the old sequence.
  const char* insert = "INSERT INTO shop_product (name, price, stock) VALUES ('nib', 1, 1)";
  if (postgresql()) {
    EXPECT_EQ(connection().query(std::string(insert) + " RETURNING id")[0][0].as_int(), 3);
  } else {
    connection().execute(insert);
    EXPECT_EQ(connection().last_insert_rowid(), 3);
  }

  backwards(op, state_, after);
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
  EXPECT_EQ(count("shop_product"), 3);
}

TEST_F(OperationTest, AddingNotNullFieldWithoutDefaultToFilledTableFailsAndRollsBack) {
  Operation op = AddField("product", Field("sku", FieldType::CharField).max_length(10));
  {
    transaction::atomic tx;
    EXPECT_THROW(forwards(op, state_), IntegrityError);
    transaction::set_rollback(true);
  }
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
  EXPECT_EQ(count("shop_product"), 2);
}

TEST_F(OperationTest, RemoveFieldDropsColumnAndBackwardsRestoresIt) {
  Operation op = RemoveField("product", "price");
  auto after = forwards(op, state_);
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name"}));
  EXPECT_EQ(count("shop_product"), 2);
  EXPECT_EQ(after.model("shop", "product").find_field("price"), nullptr);
  backwards(op, state_, after);
  EXPECT_TRUE(columns("shop_product").count("price"));
  // The column comes back with its default for the rows that lost it.
  EXPECT_EQ(connection().query("SELECT price FROM shop_product WHERE name = 'ink'")[0][0].as_int(), 0);
}

TEST_F(OperationTest, RemovingPrimaryKeyIsRefused) {
  Operation op = RemoveField("product", "id");
  ProjectState s = state_;
  EXPECT_THROW(op->state_forwards("shop", s), FieldError);
}

TEST_F(OperationTest, AlterFieldChangesNullabilityAndLengthKeepingData) {
  Operation to_null = AlterField("product", Field("name", FieldType::CharField).max_length(80).null());
  auto after = forwards(to_null, state_);
  EXPECT_FALSE(not_null("shop_product", "name"));
  connection().execute("INSERT INTO shop_product (name, price) VALUES (NULL, 1)");
  EXPECT_EQ(count("shop_product"), 3);
  if (postgresql()) {
    auto len = connection().query(
        "SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = "
        "current_schema() "
        "AND table_name = 'shop_product' AND column_name = 'name'");
    EXPECT_EQ(column_type("shop_product", "name"), "character varying");
    EXPECT_EQ(len[0][0].as_int(), 80);
  } else {
    EXPECT_EQ(column_type("shop_product", "name"), "varchar(80)");
  }

  // Back to NOT NULL with a default: existing NULLs take the default (Django's coalesce).
  Operation back_not_null =
      AlterField("product", Field("name", FieldType::CharField).max_length(80).default_("unnamed"));
  forwards(back_not_null, after);
  EXPECT_TRUE(not_null("shop_product", "name"));
  auto names = connection().query("SELECT name FROM shop_product ORDER BY id");
  EXPECT_EQ(names[2][0].as_string(), "unnamed");
  EXPECT_EQ(names[0][0].as_string(), "pen");
}

TEST_F(OperationTest, AlterFieldToUniqueFailsOnDuplicates) {
  connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 3)");
  Operation op = AlterField("product", Field("name", FieldType::CharField).max_length(50).unique());
  transaction::atomic tx;
  EXPECT_THROW(forwards(op, state_), IntegrityError);
  transaction::set_rollback(true);
}

TEST_F(OperationTest, AlterFieldTypeConvertsRowsBothWays) {
  // PostgreSQL: ALTER COLUMN ... TYPE ... USING "price"::double precision (and back); SQLite: a rebuild.
  Operation op = AlterField("product", Field("price", FieldType::FloatField).default_(0));
  auto after = forwards(op, state_);
  connection().execute("INSERT INTO shop_product (name, price) VALUES ('nib', 2.5)");
  EXPECT_DOUBLE_EQ(connection().query("SELECT sum(price) FROM shop_product")[0][0].as_double(), 9.5);
  connection().execute("DELETE FROM shop_product WHERE name = 'nib'");
  backwards(op, state_, after);
  auto rows = connection().query("SELECT price FROM shop_product ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as_int(), 2);
  EXPECT_EQ(rows[1][0].as_int(), 5);
  if (postgresql()) EXPECT_EQ(column_type("shop_product", "price"), "integer");
}

TEST_F(OperationTest, UniqueAddedThenDroppedAgain) {
  // Dropping uniqueness finds the constraint: Django's "..._uniq" name when AlterField added it, PostgreSQL's
  // own "..._key" when the column was created UNIQUE.
  Operation unique = AlterField("product", Field("name", FieldType::CharField).max_length(50).unique());
  auto with_unique = forwards(unique, state_);
  EXPECT_THROW(
      {
        transaction::atomic tx;
        connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 9)");
      },
      IntegrityError);
  backwards(unique, state_, with_unique);
  connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 9)");
  EXPECT_EQ(count("shop_product"), 3);

  auto with_code = forwards(
      AddField("product", Field("code", FieldType::CharField).max_length(8).null().unique()), state_);
  connection().execute("UPDATE shop_product SET code = 'A' WHERE id = 1");
  forwards(AlterField("product", Field("code", FieldType::CharField).max_length(8).null()), with_code);
  connection().execute("UPDATE shop_product SET code = 'A'");
  EXPECT_EQ(connection().query("SELECT count(*) FROM shop_product WHERE code = 'A'")[0][0].as_int(), 3);
}

TEST_F(OperationTest, AddForeignKeyToFilledTableIsCheckedAtOnce) {
  auto with_order = forwards(CreateModel("Order", {Field("id", FieldType::BigAutoField).primary_key(),
                                                   Field("qty", FieldType::IntegerField).default_(1)}),
                             state_);
  connection().execute("INSERT INTO shop_order (qty) VALUES (1), (2)");
  Operation op =
      AddField("order", Field("product", FieldType::ForeignKey, "shop.Product").null().on_delete(SET_NULL));
  auto after = forwards(op, with_order);
  EXPECT_EQ(references("shop_order"), (std::vector<std::string>{"shop_product"}));
  EXPECT_TRUE(has_index(key_index_name("shop_order", "product_id")));
  connection().execute("UPDATE shop_order SET product_id = 1");
  EXPECT_THROW(
      {
        transaction::atomic tx;
        connection().execute("UPDATE shop_order SET product_id = 99");
      },
      IntegrityError);
  backwards(op, with_order, after);
  EXPECT_EQ(columns("shop_order"), (std::set<std::string>{"id", "qty"}));
  EXPECT_TRUE(references("shop_order").empty());
}

TEST_F(OperationTest, RenameFieldRenamesColumnBothWays) {
  Operation op = RenameField("product", "price", "cost");
  auto after = forwards(op, state_);
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "cost"}));
  EXPECT_NE(after.model("shop", "product").find_field("cost"), nullptr);
  EXPECT_EQ(connection().query("SELECT sum(cost) FROM shop_product")[0][0].as_int(), 7);
  backwards(op, state_, after);
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
}

TEST_F(OperationTest, AddAndRemoveIndex) {
  Operation add = AddIndex("product", Index{.fields = {"name", "-price"}, .name = "product_name_price"});
  auto after = forwards(add, state_);
  EXPECT_TRUE(has_index("product_name_price"));
  EXPECT_NE(after.model("shop", "product").find_index("product_name_price"), nullptr);
  backwards(add, state_, after);
  EXPECT_FALSE(has_index("product_name_price"));

  after = forwards(add, state_);
  Operation remove = RemoveIndex("product", "product_name_price");
  auto removed = forwards(remove, after);
  EXPECT_FALSE(has_index("product_name_price"));
  backwards(remove, after, removed);
  EXPECT_TRUE(has_index("product_name_price"));
}

TEST_F(OperationTest, IndexesSurviveRebuild) {
  auto with_index = forwards(AddIndex("product", Index{.fields = {"name"}, .name = "product_name"}), state_);
  forwards(AddField("product", Field("note", FieldType::TextField).null()), with_index);
  EXPECT_TRUE(has_index("product_name"));
}

TEST_F(OperationTest, UnnamedIndexIsRefused) {
  EXPECT_THROW(AddIndex("product", Index{.fields = {"name"}, .name = ""}), FieldError);
}

TEST_F(OperationTest, AddCheckConstraintEnforcedAndRemoved) {
  Operation add = AddConstraint("product", CheckConstraint{.check = "\"price\" >= 0", .name = "price_gte_0"});
  auto after = forwards(add, state_);
  EXPECT_THROW(connection().execute("INSERT INTO shop_product (name, price) VALUES ('x', -1)"),
               IntegrityError);
  EXPECT_EQ(count("shop_product"), 2);

  Operation remove = RemoveConstraint("product", "price_gte_0");
  auto removed = forwards(remove, after);
  connection().execute("INSERT INTO shop_product (name, price) VALUES ('x', -1)");
  EXPECT_EQ(count("shop_product"), 3);
  EXPECT_EQ(removed.model("shop", "product").find_constraint("price_gte_0"), nullptr);
}

TEST_F(OperationTest, AddUniqueConstraintAndBackwards) {
  Operation add =
      AddConstraint("product", UniqueConstraint{.fields = {"name", "price"}, .name = "uniq_name_price"});
  auto after = forwards(add, state_);
  EXPECT_THROW(connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 2)"),
               IntegrityError);
  backwards(add, state_, after);
  connection().execute("INSERT INTO shop_product (name, price) VALUES ('pen', 2)");
  EXPECT_EQ(count("shop_product"), 3);
}

TEST_F(OperationTest, RunSqlForwardsAndReverse) {
  Operation op = RunSQL("INSERT INTO shop_product (name, price) VALUES ('gift', 0)",
                        "DELETE FROM shop_product WHERE name = 'gift'");
  forwards(op, state_);
  EXPECT_EQ(count("shop_product"), 3);
  backwards(op, state_, state_);
  EXPECT_EQ(count("shop_product"), 2);
}

TEST_F(OperationTest, RunSqlWithoutReverseIsIrreversible) {
  Operation op = RunSQL("UPDATE shop_product SET price = 1");
  EXPECT_FALSE(op->reversible());
  EXPECT_THROW(backwards(op, state_, state_), NotSupportedError);
  Operation noop = RunSQL("UPDATE shop_product SET price = 1", std::string(RunSQL::noop));
  EXPECT_TRUE(noop->reversible());
  backwards(noop, state_, state_);
}

TEST_F(OperationTest, RebuildKeepsRowsPointingAtRebuiltTable) {
  if (postgresql()) GTEST_SKIP() << "SQLite's table rebuild; PostgreSQL alters tables in place";
  auto with_order = forwards(
      CreateModel("Order", {Field("id", FieldType::BigAutoField).primary_key(),
                            Field("product", FieldType::ForeignKey, "shop.Product").on_delete(CASCADE)}),
      state_);
  connection().execute("INSERT INTO shop_order (product_id) VALUES (1), (2)");
  // Rebuilding the referenced table drops it; with enforcement on, the DROP would cascade or fail.
  connection().execute_script("PRAGMA foreign_keys = OFF");
  forwards(AddField("product", Field("stock", FieldType::IntegerField).default_(0)), with_order);
  connection().execute_script("PRAGMA foreign_keys = ON");
  EXPECT_EQ(count("shop_order"), 2);
  EXPECT_TRUE(connection().query("PRAGMA foreign_key_check").empty());
  EXPECT_THROW(
      {
        transaction::atomic tx;
        connection().execute("INSERT INTO shop_order (product_id) VALUES (99)");
      },
      IntegrityError);
}

TEST_F(OperationTest, DescriptionsAndNameFragmentsAreDjangos) {
  EXPECT_EQ(Operation(product_model())->describe(), "Create model Product");
  EXPECT_EQ(Operation(AddField("product", Field("stock", FieldType::IntegerField)))->describe(),
            "Add field stock to product");
  EXPECT_EQ(Operation(RemoveField("Product", "price"))->describe(), "Remove field price from product");
  EXPECT_EQ(Operation(AlterField("product", Field("name", FieldType::TextField)))->name_fragment(),
            "alter_product_name");
  EXPECT_EQ(Operation(DeleteModel("Product"))->name_fragment(), "delete_product");
}

TEST_F(OperationTest, SqlmigrateCollectsWithoutRunning) {
  SchemaEditor editor("default", /*collect_only=*/true);
  ProjectState next = state_;
  Operation op = AddField("product", Field("stock", FieldType::IntegerField).default_(7));
  op->state_forwards("shop", next);
  op->database_forwards("shop", editor, state_, next);
  if (postgresql()) {
    EXPECT_EQ(editor.collected_sql(),
              (std::vector<std::string>{
                  "ALTER TABLE \"shop_product\" ADD COLUMN \"stock\" integer DEFAULT 7 NOT NULL",
                  "ALTER TABLE \"shop_product\" ALTER COLUMN \"stock\" DROP DEFAULT"}));
    EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
    return;
  }
  ASSERT_EQ(editor.collected_sql().size(), 4u);
  EXPECT_EQ(editor.collected_sql()[0].rfind("CREATE TABLE \"new__shop_product\"", 0), 0u);
  EXPECT_NE(editor.collected_sql()[1].find("SELECT \"id\", \"name\", \"price\", 7 FROM \"shop_product\""),
            std::string::npos);
  EXPECT_EQ(editor.collected_sql()[3], "ALTER TABLE \"new__shop_product\" RENAME TO \"shop_product\"");
  EXPECT_EQ(columns("shop_product"), (std::set<std::string>{"id", "name", "price"}));
}

TEST(SchemaEditorLiteral, QuotesAndEscapes) {
  EXPECT_EQ(SchemaEditor::literal(Value("it's")), "'it''s'");
  EXPECT_EQ(SchemaEditor::literal(Value(42)), "42");
  EXPECT_EQ(SchemaEditor::literal(Value()), "NULL");
  EXPECT_EQ(SchemaEditor::literal(Value(Blob{0x00, 0xff})), "X'00ff'");
}

}  // namespace
}  // namespace duet::db::migrations::testing

namespace duet::db::migrations::testing {
namespace {

TEST_F(OperationTest, ManyToManyThroughTableCreatedAndDropped) {
  auto with_tag = forwards(CreateModel("Tag", {Field("id", FieldType::BigAutoField).primary_key(),
                                               Field("name", FieldType::CharField).max_length(20)}),
                           state_);
  ThroughTable t{.field = "tags",
                 .to = "shop.Tag",
                 .db_table = "shop_product_tags",
                 .from_column = "product_id",
                 .to_column = "tag_id"};
  Operation add = AddManyToMany("product", t);
  auto after = forwards(add, with_tag);
  EXPECT_EQ(columns("shop_product_tags"), (std::set<std::string>{"id", "product_id", "tag_id"}));
  connection().execute("INSERT INTO shop_tag (name) VALUES ('red')");
  connection().execute("INSERT INTO shop_product_tags (product_id, tag_id) VALUES (1, 1)");
  EXPECT_THROW(connection().execute("INSERT INTO shop_product_tags (product_id, tag_id) VALUES (1, 1)"),
               IntegrityError);
  // Deleting the model drops its through table too; backwards brings both back.
  Operation del = DeleteModel("Product");
  auto deleted = forwards(del, after);
  EXPECT_FALSE(has_table("shop_product_tags"));
  backwards(del, after, deleted);
  EXPECT_TRUE(has_table("shop_product_tags"));
  Operation remove = RemoveManyToMany("product", "tags");
  auto removed = forwards(remove, after);
  EXPECT_FALSE(has_table("shop_product_tags"));
  EXPECT_TRUE(removed.model("shop", "product").many_to_many.empty());
  backwards(remove, after, removed);
  EXPECT_TRUE(has_table("shop_product_tags"));
  EXPECT_EQ(Operation(AddManyToMany("product", t))->to_source(),
            "AddManyToMany(\"product\", ThroughTable{.field = \"tags\", .to = \"shop.Tag\", .db_table = "
            "\"shop_product_tags\", .from_column = \"product_id\", .to_column = \"tag_id\"})");
}

}  // namespace
}  // namespace duet::db::migrations::testing
