#include "duet/conf/settings.hpp"

#include <gtest/gtest.h>

#include <map>

using duet::conf::Settings;

namespace {
auto env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST(Settings, DefaultsAreDjangos) {
  Settings s;
  EXPECT_FALSE(s.DEBUG);
  EXPECT_TRUE(s.APPEND_SLASH);
  EXPECT_EQ(s.DATA_UPLOAD_MAX_MEMORY_SIZE, 2621440u);
  EXPECT_EQ(s.DATA_UPLOAD_MAX_NUMBER_FIELDS, 1000u);
  EXPECT_EQ(s.DATA_UPLOAD_MAX_NUMBER_FILES, 100u);
  EXPECT_EQ(s.FILE_UPLOAD_MAX_MEMORY_SIZE, 2621440u);
  EXPECT_EQ(s.DEFAULT_CHARSET, "utf-8");
  EXPECT_FALSE(s.SECURE_PROXY_SSL_HEADER);
}

TEST(Settings, EnvironmentOverrides) {
  Settings s;
  s.apply_environment(env({{"DUET_DEBUG", "1"},
                           {"DUET_ALLOWED_HOSTS", "example.com, .sub.org,"},
                           {"DUET_DATA_UPLOAD_MAX_MEMORY_SIZE", "none"},
                           {"DUET_DATA_UPLOAD_MAX_NUMBER_FIELDS", "5"},
                           {"DUET_SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO,https"},
                           {"DUET_APPEND_SLASH", "off"},
                           {"DUET_SECRET_KEY", "s3cr3t"}}));
  EXPECT_TRUE(s.DEBUG);
  EXPECT_EQ(s.ALLOWED_HOSTS, (std::vector<std::string>{"example.com", ".sub.org"}));
  EXPECT_FALSE(s.DATA_UPLOAD_MAX_MEMORY_SIZE);
  EXPECT_EQ(s.DATA_UPLOAD_MAX_NUMBER_FIELDS, 5u);
  ASSERT_TRUE(s.SECURE_PROXY_SSL_HEADER);
  EXPECT_EQ(s.SECURE_PROXY_SSL_HEADER->first, "HTTP_X_FORWARDED_PROTO");
  EXPECT_FALSE(s.APPEND_SLASH);
  EXPECT_EQ(s.SECRET_KEY, "s3cr3t");
  EXPECT_EQ(s.FILE_UPLOAD_MAX_MEMORY_SIZE, 2621440u);  // untouched
}

TEST(Settings, MalformedEnvironmentValueIsAClearError) {
  Settings s;
  EXPECT_THROW(s.apply_environment(env({{"DUET_DEBUG", "maybe"}})), duet::conf::ImproperlyConfigured);
  EXPECT_THROW(s.apply_environment(env({{"DUET_FILE_UPLOAD_MAX_MEMORY_SIZE", "-3"}})),
               duet::conf::ImproperlyConfigured);
  EXPECT_THROW(s.apply_environment(env({{"DUET_SECURE_PROXY_SSL_HEADER", "only-one"}})),
               duet::conf::ImproperlyConfigured);
}

TEST(Settings, OverrideRestoresPrevious) {
  auto before = duet::conf::settings();
  {
    Settings s;
    s.DEBUG = true;
    duet::conf::SettingsOverride o(s);
    EXPECT_TRUE(duet::conf::settings()->DEBUG);
    EXPECT_TRUE(before != duet::conf::settings());
  }
  EXPECT_EQ(before, duet::conf::settings());
}

TEST(Settings, SensitiveNames) {
  EXPECT_TRUE(duet::conf::is_sensitive_setting("SECRET_KEY"));
  EXPECT_TRUE(duet::conf::is_sensitive_setting("db_password"));
  EXPECT_FALSE(duet::conf::is_sensitive_setting("DEBUG"));
}
