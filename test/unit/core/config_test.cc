#include "core/config.h"

#include <gtest/gtest.h>

namespace verbund {
namespace {

TEST(ConfigTest, EmptyGivesDefaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "./verbund-data");
  EXPECT_EQ(c->mqtt.listen, "0.0.0.0:1883");
  EXPECT_EQ(c->mqtt.tls_listen, "0.0.0.0:8883");
  EXPECT_EQ(c->mqtt.ws_listen, "0.0.0.0:8083");
  EXPECT_EQ(c->http.listen, "0.0.0.0:8086");
  EXPECT_EQ(c->storage.fsync, FsyncPolicy::kAlways);
}

TEST(ConfigTest, ReadsKnownKeys) {
  auto c = ParseConfig(R"(
data_dir = "/tmp/x"
[mqtt]
listen = "127.0.0.1:1999"
max_packet_size = 4096
[tls]
cert = "a.pem"
key = "b.pem"
require_client_cert = true
[storage]
fsync = "interval"
chunk_cache_mb = 0
[[ingest.rule]]
filter = "factory/#"
template = "factory/{site}/{line}/{machine}"
time_field = "ts"
time_unit = "ms"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mqtt.listen, "127.0.0.1:1999");
  EXPECT_EQ(c->mqtt.max_packet_size, 4096u);
  EXPECT_TRUE(c->tls.require_client_cert);
  EXPECT_EQ(c->storage.fsync, FsyncPolicy::kInterval);
  EXPECT_EQ(c->storage.chunk_cache_bytes, 0u);
  ASSERT_EQ(c->ingest.rules.size(), 1u);
  EXPECT_EQ(c->ingest.rules[0].time_unit, "ms");
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  auto c = ParseConfig("[mqtt]\nlisten_port = 5\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("mqtt.listen_port"), std::string::npos);
}

TEST(ConfigTest, BadValueIsNamed) {
  auto c = ParseConfig("[mqtt]\nmax_packet_size = -1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("mqtt.max_packet_size"), std::string::npos);
  c = ParseConfig("[storage]\nfsync = \"sometimes\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("storage.fsync"), std::string::npos);
}

TEST(ConfigTest, AuditDefaultsFollowTheWal) {
  auto c = ParseConfig("[storage]\nfsync = \"never\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->audit.enabled);
  EXPECT_FALSE(c->audit.fsync.has_value());  // the hub uses storage.fsync
  EXPECT_EQ(c->audit.sth_interval_ms, 1000u);
  c = ParseConfig("[audit]\nenabled = false\nfsync = \"interval\"\nsth_interval_ms = 250\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->audit.enabled);
  EXPECT_EQ(c->audit.fsync, FsyncPolicy::kInterval);
  EXPECT_EQ(c->audit.sth_interval_ms, 250u);
}

TEST(ConfigTest, AuthenticationAndBackOff) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->http.auth);  // a fresh install is never open
  EXPECT_EQ(c->security.login_backoff_ms, 100u);
  EXPECT_TRUE(c->tls.crl.empty());
  c = ParseConfig(
      "[http]\nauth = false\n[security]\nlogin_backoff_ms = 50\nlogin_backoff_max_ms = 900\n"
      "[tls]\ncrl = \"/etc/ca.crl\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->http.auth);
  EXPECT_EQ(c->security.login_backoff_ms, 50u);
  EXPECT_EQ(c->security.login_backoff_max_ms, 900u);
  EXPECT_EQ(c->tls.crl, "/etc/ca.crl");
  for (const char* bad : {"[http]\nauth = 1\n", "[security]\nlogin_backoff_ms = 0\n",
                          "[security]\nlockout = true\n"}) {
    auto r = ParseConfig(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConfigTest, AuditBadValuesAreNamed) {
  for (const char* text :
       {"[audit]\nfsync = \"sometimes\"\n", "[audit]\nfsync = 1\n", "[audit]\nenabled = \"yes\"\n",
        "[audit]\nsth_interval_ms = 0\n", "[audit]\ndir = \"/tmp\"\n", "audit = 1\n"}) {
    auto c = ParseConfig(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(c.status().message().find("audit"), std::string::npos) << c.status().message();
  }
}

TEST(ConfigTest, SyntaxErrorNamesLine) {
  auto c = ParseConfig("a = 1\n[mqtt\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("line 2"), std::string::npos);
}

TEST(ConfigTest, UnreadableCertIsNamed) {
  auto c = ParseConfig("[tls]\ncert = \"/nonexistent/c.pem\"\nkey = \"/nonexistent/k.pem\"\n");
  ASSERT_TRUE(c.ok());
  Status s = ValidateConfig(*c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tls.cert"), std::string::npos);
}

TEST(ConfigTest, HostPort) {
  auto hp = ParseHostPort("[::1]:1883");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 1883);
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("x:70000").ok());
}

}  // namespace
}  // namespace verbund
