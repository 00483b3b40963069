// http::ConsoleAssets: the console's files from memory with their security headers, the single
// page for its own paths, redirects to /console/, revalidation by ETag, read-only.
#include "http/console_assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace verbund::http {
namespace {

namespace fs = std::filesystem;

std::string Header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class ConsoleAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("verbund_console_assets_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "assets");
    Write("index.html", "<!doctype html><title>Verbund</title>");
    Write("assets/index-abc123.js", "console.log(1)");
    Write("assets/index-abc123.css", "body{}");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& body) {
    std::ofstream(dir_ / rel, std::ios::binary) << body;
  }
  ConsoleAssets Load() {
    auto a = ConsoleAssets::Load(dir_.string());
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(a).value() : ConsoleAssets();
  }

  fs::path dir_;
};

TEST_F(ConsoleAssetsTest, ServesFilesWithTypesCachingAndTheCsp) {
  ConsoleAssets a = Load();
  EXPECT_EQ(a.file_count(), 3u);
  Response index = a.Serve("GET", "/console/", "");
  EXPECT_EQ(index.status, 200u);
  EXPECT_EQ(index.body, "<!doctype html><title>Verbund</title>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(index, "Content-Security-Policy"), kConsoleCsp);
  EXPECT_NE(kConsoleCsp.find("script-src 'self';"), std::string_view::npos);
  EXPECT_EQ(kConsoleCsp.find("unsafe"), std::string_view::npos);
  EXPECT_EQ(Header(index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Header(index, "X-Content-Type-Options"), "nosniff");
  Response js = a.Serve("GET", "/console/assets/index-abc123.js", "");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(Header(js, "Cache-Control").find("immutable"), std::string::npos);
  EXPECT_EQ(a.Serve("GET", "/console/assets/index-abc123.css", "").content_type,
            "text/css; charset=utf-8");
}

TEST_F(ConsoleAssetsTest, PagesOfTheAppAreIndexMissingFilesAre404) {
  ConsoleAssets a = Load();
  EXPECT_EQ(a.Serve("GET", "/console/explorer", "").body, a.Serve("GET", "/console/", "").body);
  EXPECT_EQ(a.Serve("GET", "/console/assets/gone.js", "").status, 404u);
  EXPECT_EQ(a.Serve("GET", "/console/../index.html", "").status, 404u);  // never a file outside
  for (const char* p : {"/", "/console"}) {
    Response r = a.Serve("GET", p, "");
    EXPECT_EQ(r.status, 302u) << p;
    EXPECT_EQ(Header(r, "Location"), "/console/");
  }
  EXPECT_TRUE(ConsoleAssets::Handles("/"));
  EXPECT_TRUE(ConsoleAssets::Handles("/console/x"));
  EXPECT_FALSE(ConsoleAssets::Handles("/consoles"));
  EXPECT_FALSE(ConsoleAssets::Handles("/query"));
}

TEST_F(ConsoleAssetsTest, RevalidatesAndIsReadOnly) {
  ConsoleAssets a = Load();
  Response first = a.Serve("GET", "/console/", "");
  const std::string etag = Header(first, "ETag");
  ASSERT_EQ(etag.size(), 34u);
  EXPECT_EQ(a.Serve("GET", "/console/", etag).status, 304u);
  EXPECT_EQ(a.Serve("GET", "/console/", "\"other\", W/" + etag).status, 304u);
  EXPECT_EQ(a.Serve("GET", "/console/", "\"other\"").status, 200u);
  EXPECT_EQ(a.Serve("HEAD", "/console/", "").status, 200u);
  Response post = a.Serve("POST", "/console/", "");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
}

TEST_F(ConsoleAssetsTest, WithoutItsFilesTheConsoleSaysWhy) {
  fs::remove(dir_ / "index.html");
  auto missing = ConsoleAssets::Load(dir_.string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  ConsoleAssets none("the web console is not built");
  Response r = none.Serve("GET", "/console/", "");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("not built"), std::string::npos);
  EXPECT_FALSE(Header(r, "Content-Security-Policy").empty());
}

TEST_F(ConsoleAssetsTest, LimitsAreEnforced) {
  ConsoleAssets::Limits few{2, 1 << 20};
  EXPECT_EQ(ConsoleAssets::Load(dir_.string(), few).status().code(),
            StatusCode::kResourceExhausted);
  ConsoleAssets::Limits small{100, 10};
  EXPECT_EQ(ConsoleAssets::Load(dir_.string(), small).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace verbund::http
