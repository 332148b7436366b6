// full_clean() of DecimalField: max_digits and decimal_places as Django's DecimalValidator counts them.
#include <gtest/gtest.h>

#include "duet/db.hpp"

namespace db = duet::db;

namespace {

struct Price : db::Model<Price> {
  db::DecimalField amount;
  static void meta(db::Meta<Price>& m) {
    m.app_label("shop");
    m.field(&Price::amount, "amount").max_digits(5).decimal_places(2);
  }
};

std::string error_of(const std::string& amount) {
  Price p;
  p.amount = amount;
  try {
    p.full_clean();
  } catch (const db::ValidationError& e) {
    for (auto& [field, message] : e.errors()) {
      if (field == "amount") return message;
    }
    return "other: " + std::string(e.what());
  }
  return "";
}

}  // namespace

TEST(DecimalValidation, AcceptsValuesWithinTheLimits) {
  for (auto ok : {"0", "1", "999.99", "-999.99", "12.5", "0.01", "000123.40", "1e2", "+5", ".5", "5."})
    EXPECT_EQ(error_of(ok), "") << ok;
}

TEST(DecimalValidation, CountsAsDjangoDoes) {
  EXPECT_EQ(error_of("123456"), "Ensure that there are no more than 5 digits in total.");
  EXPECT_EQ(error_of("1.234"), "Ensure that there are no more than 2 decimal places.");
  EXPECT_EQ(error_of("1000"), "Ensure that there are no more than 3 digits before the decimal point.");
  EXPECT_EQ(error_of("1e4"), "Ensure that there are no more than 3 digits before the decimal point.");
  EXPECT_EQ(error_of("0.001"), "Ensure that there are no more than 2 decimal places.");
  EXPECT_EQ(error_of("1e6"), "Ensure that there are no more than 5 digits in total.");
}

TEST(DecimalValidation, RejectsNonNumbers) {
  for (auto bad : {"abc", "", "1.2.3", "1e", "--1", "NaN", "1,5"}) {
    auto msg = error_of(bad);
    EXPECT_NE(msg.find("must be a decimal number"), std::string::npos) << bad << ": " << msg;
  }
}
