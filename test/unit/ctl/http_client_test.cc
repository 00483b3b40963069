// verbundctl's HTTP client: server URLs, path encoding, error bodies, exit codes, and an
// unreachable hub.
#include "http_client.h"

#include <gtest/gtest.h>

#include "exit_codes.h"

namespace verbund::ctl {
namespace {

TEST(ServerUrlTest, ParsesHostPortAndPrefix) {
  Result<ServerUrl> u = ParseServerUrl("http://hub.example:9000/base/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "hub.example");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->base_path, "/base");

  u = ParseServerUrl("127.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8086");
  EXPECT_EQ(u->base_path, "");

  u = ParseServerUrl("http://[::1]:8087");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8087");
  u = ParseServerUrl("http://[::1]");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, "8086");
}

TEST(ServerUrlTest, RefusesWhatItCannotSpeak) {
  for (const char* bad : {"https://hub:8086", "ftp://hub", "http://", "http://:8086",
                          "http://hub:", "http://hub:80a", "http://hub:123456", "http://[::1"}) {
    EXPECT_EQ(ParseServerUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EncodePathSegmentTest, KeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(EncodePathSegment("plc-1.a_b~"), "plc-1.a_b~");
  EXPECT_EQ(EncodePathSegment("CN=a/O=b c"), "CN%3Da%2FO%3Db%20c");
  EXPECT_EQ(EncodePathSegment("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(EncodePathSegment(""), "");
}

TEST(ErrorMessageTest, ReadsNativeAndInfluxErrorsAndFallsBack) {
  HttpResponse r;
  r.status = 404;
  r.body = R"({"error":{"code":"not_found","message":"no tenant 'x'"}})";
  EXPECT_EQ(ErrorMessage(r), "no tenant 'x'");
  r.body = R"({"error":"database not found"})";
  EXPECT_EQ(ErrorMessage(r), "database not found");
  r.body = "404 page not found\n";
  EXPECT_EQ(ErrorMessage(r), "404 page not found");
  r.body = "";
  EXPECT_EQ(ErrorMessage(r), "HTTP 404");
  r.body = R"({"error":{"code":"x"}})";
  EXPECT_EQ(ErrorMessage(r), R"({"error":{"code":"x"}})");
}

TEST(ExitCodeTest, MapsStatuses) {
  EXPECT_EQ(ExitCodeForStatus(200), kExitOk);
  EXPECT_EQ(ExitCodeForStatus(201), kExitOk);
  EXPECT_EQ(ExitCodeForStatus(204), kExitOk);
  EXPECT_EQ(ExitCodeForStatus(401), kExitNotAuthorized);
  EXPECT_EQ(ExitCodeForStatus(403), kExitNotAuthorized);
  EXPECT_EQ(ExitCodeForStatus(404), kExitNotFound);
  EXPECT_EQ(ExitCodeForStatus(409), kExitConflict);
  EXPECT_EQ(ExitCodeForStatus(400), kExitServerError);
  EXPECT_EQ(ExitCodeForStatus(405), kExitServerError);
  EXPECT_EQ(ExitCodeForStatus(500), kExitServerError);
  EXPECT_EQ(ExitCodeForStatus(503), kExitServerError);
}

TEST(HttpClientTest, UnreachableHubIsUnavailable) {
  // Port 1 on loopback: nothing listens there in the test environment.
  HttpClient client(ServerUrl{"127.0.0.1", "1", ""}, "tok", std::chrono::seconds(2));
  Result<HttpResponse> r = client.Send("GET", "/api/v1/admin/tenants");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace verbund::ctl
