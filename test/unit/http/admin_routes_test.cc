// The admin API (/api/v1/admin/...) on a real Directory: every route, the status of each refusal,
// tenant-admin confinement, and what is reported for the audit log.
#include "http/admin_routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "security/directory.h"
#include "security/names.h"

namespace verbund::http {
namespace {

using nlohmann::json;
using security::Directory;
using security::PrincipalKind;

std::string TempFile(const std::string& name) {
  static int counter = 0;
  auto dir =
      std::filesystem::path(::testing::TempDir()) / ("verbund_admin_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / (name + std::to_string(counter++) + ".dir")).string();
}

struct Change {
  std::string action, tenant, target;
  StatusCode code;
  bool anonymous;
};

class FixedClock final : public Clock {
 public:
  TimestampNs NowNs() const override { return 1'700'000'000'000'000'000; }
  int64_t MonotonicNs() const override { return 0; }
};

class AdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    security::DirectoryOptions o;
    o.path = path_ = TempFile("admin");
    auto d = Directory::Open(std::move(o));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dir_ = std::move(d).value();
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    ASSERT_TRUE(dir_->CreateTenant("beta").ok());
    ASSERT_TRUE(
        dir_->CreatePrincipal(security::kOperatorTenant, "root", PrincipalKind::kOperator).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "boss", PrincipalKind::kUser, true).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "dev", PrincipalKind::kDevice).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("beta", "bob", PrincipalKind::kUser, true).ok());
    op_ = Login(security::kOperatorTenant, "root");
    boss_ = Login("acme", "boss");
    dev_ = Login("acme", "dev");

    AdminDeps deps;
    deps.directory = dir_.get();
    deps.clock = &clock_;
    deps.on_change = [this](const Caller& c, std::string_view action, std::string_view tenant,
                            std::string_view target, const Status& outcome) {
      changes_.push_back({std::string(action), std::string(tenant), std::string(target),
                          outcome.code(), c.anonymous()});
    };
    routes_ = std::make_unique<AdminRoutes>(std::move(deps));
  }

  void TearDown() override {
    routes_.reset();
    dir_.reset();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  // An identity as the hub establishes it: a token authenticated through the snapshot.
  Caller Login(std::string_view tenant, std::string_view name,
               security::Rights rights = security::kAllRights) {
    auto issued = dir_->IssueToken(tenant, name, rights, 0);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    security::AuthResult r = dir_->snapshot()->AuthenticateToken(issued->token, 0);
    EXPECT_TRUE(r.ok());
    Caller c;
    c.identity = r.identity;
    c.peer = "127.0.0.1:5000";
    return c;
  }

  Response Call(const Caller& caller, std::string method, std::string target,
                std::string body = "") {
    Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    Result<Target> t = ParseTarget(req.target);
    EXPECT_TRUE(t.ok());
    std::optional<Response> out;
    int replies = 0;
    routes_->Handle(req, *t, caller, [&](Response r) {
      ++replies;
      out = std::move(r);
    });
    EXPECT_EQ(replies, 1);
    return out.value_or(Response{});
  }

  static json Body(const Response& r) { return json::parse(r.body); }
  static std::string Code(const Response& r) { return Body(r)["error"]["code"].get<std::string>(); }

  FixedClock clock_;
  std::string path_;
  std::unique_ptr<Directory> dir_;
  std::unique_ptr<AdminRoutes> routes_;
  Caller op_, boss_, dev_;
  Caller anonymous_;
  std::vector<Change> changes_;
};

TEST(AdminRoutesPathTest, HandlesOnlyTheAdminPrefix) {
  EXPECT_TRUE(AdminRoutes::Handles("/api/v1/admin"));
  EXPECT_TRUE(AdminRoutes::Handles("/api/v1/admin/tenants"));
  EXPECT_FALSE(AdminRoutes::Handles("/api/v1/administrator"));
  EXPECT_FALSE(AdminRoutes::Handles("/api/v1/audit/sth"));
}

TEST_F(AdminRoutesTest, AnonymousCallersGet401EverywhereAndRefusedChangesAreReported) {
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/admin/tenants"},
           {"POST", "/api/v1/admin/tenants"},
           {"GET", "/api/v1/admin/nothing"},
           {"DELETE", "/api/v1/admin/tenants/acme/principals/dev"}}) {
    Response r = Call(anonymous_, method, path, "{}");
    EXPECT_EQ(r.status, 401u) << method << " " << path;
    EXPECT_EQ(Code(r), "unauthenticated");
    EXPECT_TRUE(Body(r)["error"]["message"].is_string());
  }
  ASSERT_EQ(changes_.size(), 2u);
  EXPECT_EQ(changes_[0].action, "tenant.create");
  EXPECT_EQ(changes_[0].code, StatusCode::kUnauthenticated);
  EXPECT_TRUE(changes_[0].anonymous);
  EXPECT_EQ(changes_[1].action, "principal.delete");
  EXPECT_EQ(changes_[1].tenant, "acme");
}

TEST_F(AdminRoutesTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/nothing").status, 404u);
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin").status, 404u);
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/tenants/acme/principals/dev/bogus").status, 404u);
  Response r = Call(op_, "PATCH", "/api/v1/admin/tenants");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(Code(r), "method_not_allowed");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, POST");
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/tenants/acme").status, 405u);
}

TEST_F(AdminRoutesTest, NoAdminRightIs403) {
  EXPECT_EQ(Call(dev_, "GET", "/api/v1/admin/tenants/acme/principals").status, 403u);
  Caller weak_op = Login(security::kOperatorTenant, "root", security::kTopicRights);
  EXPECT_EQ(Call(weak_op, "GET", "/api/v1/admin/tenants").status, 403u);
  Caller weak_boss = Login("acme", "boss", security::kDataRights);
  EXPECT_EQ(Call(weak_boss, "GET", "/api/v1/admin/tenants/acme/principals").status, 403u);
}

TEST_F(AdminRoutesTest, OperatorManagesTenants) {
  Response r = Call(op_, "POST", "/api/v1/admin/tenants", R"({"name":"gamma"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Body(r)["name"], "gamma");
  EXPECT_EQ(Call(op_, "POST", "/api/v1/admin/tenants", R"({"name":"gamma"})").status, 409u);
  r = Call(op_, "POST", "/api/v1/admin/tenants", R"({"name":"Bad/Name"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(Code(r), "invalid_argument");

  r = Call(op_, "GET", "/api/v1/admin/tenants");
  ASSERT_EQ(r.status, 200u);
  std::vector<std::string> names;
  const json tenants = Body(r)["tenants"];
  for (const json& t : tenants) names.push_back(t["name"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "gamma"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "acme"), names.end());

  EXPECT_EQ(Call(op_, "DELETE", "/api/v1/admin/tenants/gamma").status, 204u);
  EXPECT_EQ(Call(op_, "DELETE", "/api/v1/admin/tenants/gamma").status, 404u);
  EXPECT_FALSE(dir_->snapshot()->HasTenant("gamma"));
}

TEST_F(AdminRoutesTest, MalformedBodiesAndWrongTypesAre400) {
  for (std::string body : {"{", "", "[1]", "\"x\"", R"({"name":7})", R"({"nom":"x"})"}) {
    Response r = Call(op_, "POST", "/api/v1/admin/tenants", body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_EQ(Code(r), "invalid_argument");
  }
  EXPECT_EQ(Call(op_, "POST", "/api/v1/admin/tenants/acme/principals",
                 R"({"name":"x","kind":"device","tenant_admin":"yes"})")
                .status,
            400u);
  EXPECT_EQ(
      Call(op_, "POST", "/api/v1/admin/tenants/acme/principals", R"({"name":"x","kind":"robot"})")
          .status,
      400u);
  EXPECT_EQ(
      Call(op_, "PUT", "/api/v1/admin/tenants/acme/principals/dev/disabled", R"({"disabled":1})")
          .status,
      400u);
  EXPECT_EQ(
      Call(op_, "PUT", "/api/v1/admin/tenants/acme/quotas", R"({"max_connections":-1})").status,
      400u);
}

TEST_F(AdminRoutesTest, TenantQuotasAreOperatorsOnlyAndPartial) {
  Response r = Call(op_, "PUT", "/api/v1/admin/tenants/acme/quotas",
                    R"({"max_connections":10,"bytes_per_s":1000})");
  ASSERT_EQ(r.status, 200u) << r.body;
  r = Call(op_, "PUT", "/api/v1/admin/tenants/acme/quotas", R"({"max_series":5})");
  ASSERT_EQ(r.status, 200u);
  r = Call(op_, "GET", "/api/v1/admin/tenants/acme/quotas");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(Body(r)["max_connections"], 10);
  EXPECT_EQ(Body(r)["bytes_per_s"], 1000);
  EXPECT_EQ(Body(r)["max_series"], 5);
  EXPECT_EQ(dir_->snapshot()->TenantQuotas("acme")->max_series, 5u);
  EXPECT_EQ(Call(op_, "PUT", "/api/v1/admin/tenants/acme/quotas", R"({"speed":1})").status, 400u);
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/tenants/nope/quotas").status, 404u);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/acme/quotas").status, 403u);
  EXPECT_EQ(Call(boss_, "PUT", "/api/v1/admin/tenants/acme/quotas", "{}").status, 403u);
}

TEST_F(AdminRoutesTest, TenantAdminIsConfinedToItsTenant) {
  // Hub-wide routes.
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants").status, 403u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants", R"({"name":"x"})").status, 403u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme").status, 403u);
  // Another tenant, an absent tenant and the operator tenant look the same.
  Response beta = Call(boss_, "GET", "/api/v1/admin/tenants/beta/principals");
  Response nope = Call(boss_, "GET", "/api/v1/admin/tenants/nope/principals");
  EXPECT_EQ(beta.status, 403u);
  EXPECT_EQ(nope.status, 403u);
  EXPECT_EQ(Code(beta), "permission_denied");
  EXPECT_EQ(Body(beta)["error"]["message"].get<std::string>().find("exist"), std::string::npos);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/_hub/principals").status, 403u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/beta/principals/bob").status, 403u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/beta/principals/bob/tokens",
                 R"({"rights":["admin"]})")
                .status,
            403u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/_hub/principals/root/tokens",
                 R"({"rights":["admin"]})")
                .status,
            403u);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/beta/rules").status, 403u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/beta/sessions/c1").status, 403u);
  // Its own tenant works.
  Response r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/principals");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(Body(r)["principals"].size(), 2u);
  EXPECT_TRUE(dir_->snapshot()->HasTenant("beta"));
}

TEST_F(AdminRoutesTest, TenantAdminCannotCreateOperators) {
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals",
                    R"({"name":"evil","kind":"operator"})");
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/_hub/principals",
                 R"({"name":"evil","kind":"operator"})")
                .status,
            403u);
  EXPECT_FALSE(dir_->snapshot()->PrincipalQuotas("acme", "evil").has_value());
  EXPECT_FALSE(dir_->snapshot()->PrincipalQuotas(security::kOperatorTenant, "evil").has_value());
}

TEST_F(AdminRoutesTest, OperatorsAreCreatedInTheHubTenantOnly) {
  Response r = Call(op_, "POST", "/api/v1/admin/tenants/_hub/principals",
                    R"({"name":"second","kind":"operator"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Body(r)["kind"], "operator");
  EXPECT_EQ(Call(op_, "POST", "/api/v1/admin/tenants/acme/principals",
                 R"({"name":"op2","kind":"operator"})")
                .status,
            400u);
  EXPECT_EQ(Call(op_, "POST", "/api/v1/admin/tenants/_hub/principals",
                 R"({"name":"dev2","kind":"device"})")
                .status,
            400u);
  r = Call(op_, "GET", "/api/v1/admin/tenants/_hub/principals");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(Body(r)["principals"].size(), 2u);
}

TEST_F(AdminRoutesTest, PrincipalLifecycle) {
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals",
                    R"({"name":"plc-1","kind":"device","password":"s3cret"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Body(r)["has_password"], true);
  EXPECT_EQ(Body(r)["tenant"], "acme");
  EXPECT_TRUE(dir_->snapshot()->AuthenticatePassword("acme/plc-1", "s3cret").ok());
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals",
                 R"({"name":"plc-1","kind":"device"})")
                .status,
            409u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals",
                 R"({"name":"plc-2","kind":"device","password":""})")
                .status,
            400u);
  EXPECT_FALSE(dir_->snapshot()->PrincipalQuotas("acme", "plc-2").has_value());
  EXPECT_EQ(
      Call(op_, "POST", "/api/v1/admin/tenants/nope/principals", R"({"name":"x","kind":"device"})")
          .status,
      404u);

  EXPECT_EQ(Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/plc-1/password",
                 R"({"password":"other"})")
                .status,
            204u);
  EXPECT_TRUE(dir_->snapshot()->AuthenticatePassword("acme/plc-1", "other").ok());
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/principals/plc-1/password").status,
            204u);
  EXPECT_FALSE(dir_->snapshot()->AuthenticatePassword("acme/plc-1", "other").ok());
  EXPECT_EQ(Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/ghost/password",
                 R"({"password":"x"})")
                .status,
            404u);

  EXPECT_EQ(Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/plc-1/disabled",
                 R"({"disabled":true})")
                .status,
            204u);
  r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/principals");
  bool disabled = false;
  const json principals = Body(r)["principals"];
  for (const json& p : principals) {
    if (p["name"] == "plc-1") disabled = p["disabled"];
  }
  EXPECT_TRUE(disabled);
  EXPECT_EQ(Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/plc-1/disabled",
                 R"({"disabled":false})")
                .status,
            204u);

  r = Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/plc-1/quotas",
           R"({"messages_per_s":50})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(dir_->snapshot()->PrincipalQuotas("acme", "plc-1")->messages_per_s, 50u);
  r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/principals/plc-1/quotas");
  EXPECT_EQ(Body(r)["messages_per_s"], 50);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/acme/principals/ghost/quotas").status, 404u);

  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/principals/plc-1").status, 204u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/principals/plc-1").status, 404u);
}

TEST_F(AdminRoutesTest, CertificatesStayInTheirTenant) {
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/certificates",
                    R"({"identity":"CN=dev/O=acme"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/boss/certificates",
                 R"({"identity":"CN=dev/O=acme"})")
                .status,
            409u);
  ASSERT_TRUE(dir_->AddCertificateIdentity("bob.beta", "beta", "bob").ok());
  r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/certificates");
  ASSERT_EQ(r.status, 200u);
  ASSERT_EQ(Body(r)["certificates"].size(), 1u);
  EXPECT_EQ(Body(r)["certificates"][0]["identity"], "CN=dev/O=acme");
  EXPECT_EQ(Body(r)["certificates"][0]["principal"], "dev");
  // Another tenant's identity is not found from here.
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/certificates/bob.beta").status, 404u);
  EXPECT_TRUE(dir_->snapshot()->AuthenticateCertificate("bob.beta").ok());
  // Percent-decoded, an encoded '/' included.
  EXPECT_EQ(
      Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/certificates/CN%3Ddev%2FO%3Dacme").status,
      204u);
  EXPECT_FALSE(dir_->snapshot()->AuthenticateCertificate("CN=dev/O=acme").ok());
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/tenants/nope/certificates").status, 404u);
}

TEST_F(AdminRoutesTest, IssuedTokenAuthenticatesAndIsRevocable) {
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/tokens",
                    R"({"rights":["publish","subscribe"],"expires_in_s":3600})");
  ASSERT_EQ(r.status, 201u) << r.body;
  const json issued = Body(r);
  const int64_t now_ms = clock_.NowNs() / 1'000'000;
  EXPECT_EQ(issued["expires_ms"], now_ms + 3'600'000);
  security::AuthResult a =
      dir_->snapshot()->AuthenticateToken(issued["token"].get<std::string>(), now_ms);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.identity->principal, "dev");
  EXPECT_EQ(a.identity->rights, security::kTopicRights);
  EXPECT_EQ(dir_->snapshot()
                ->AuthenticateToken(issued["token"].get<std::string>(), now_ms + 3'600'001)
                .error,
            security::AuthError::kExpired);

  r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/tokens");
  ASSERT_EQ(r.status, 200u);
  bool listed = false;
  const json tokens = Body(r)["tokens"];
  for (const json& t : tokens) {
    EXPECT_FALSE(t.contains("token"));  // never shown again
    if (t["id"] == issued["id"]) {
      listed = true;
      EXPECT_EQ(t["rights"], json::array({"publish", "subscribe"}));
    }
  }
  EXPECT_TRUE(listed);

  // A never-expiring token, and bad requests.
  r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/tokens",
           R"({"rights":["query"],"expires_in_s":0})");
  ASSERT_EQ(r.status, 201u);
  EXPECT_EQ(Body(r)["expires_ms"], 0);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/tokens",
                 R"({"rights":["fly"]})")
                .status,
            400u);
  EXPECT_EQ(
      Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/tokens", R"({"rights":[]})")
          .status,
      400u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/ghost/tokens",
                 R"({"rights":["query"]})")
                .status,
            404u);

  // Another tenant's token is not found from here.
  auto beta_token = dir_->IssueToken("beta", "bob", security::kAllRights, 0);
  ASSERT_TRUE(beta_token.ok());
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/tokens/" + beta_token->id).status,
            404u);
  EXPECT_TRUE(dir_->snapshot()->AuthenticateToken(beta_token->token, 0).ok());

  const std::string id = issued["id"];
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/tokens/" + id).status, 204u);
  EXPECT_FALSE(
      dir_->snapshot()->AuthenticateToken(issued["token"].get<std::string>(), now_ms).ok());
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/tokens/" + id).status, 404u);
}

TEST_F(AdminRoutesTest, OnlyOperatorsIssueHubTokens) {
  Response r = Call(op_, "POST", "/api/v1/admin/tenants/_hub/principals/root/tokens",
                    R"({"rights":["admin"]})");
  ASSERT_EQ(r.status, 201u) << r.body;
  security::AuthResult a =
      dir_->snapshot()->AuthenticateToken(Body(r)["token"].get<std::string>(), 0);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.identity->IsOperator());
}

TEST_F(AdminRoutesTest, RulesOneOrManyAtOnce) {
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules",
                    R"({"effect":"allow","rights":["publish"],"principal":"dev",)"
                    R"("pattern":"sensors/#"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  const uint64_t first = Body(r)["id"];
  r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules",
           R"([{"rights":["subscribe"],"pattern":"sensors/#"},)"
           R"({"effect":"deny","rights":["publish"],"pattern":"sensors/secret"}])");
  ASSERT_EQ(r.status, 201u) << r.body;
  ASSERT_EQ(Body(r)["ids"].size(), 2u);

  r = Call(boss_, "GET", "/api/v1/admin/tenants/acme/rules");
  ASSERT_EQ(r.status, 200u);
  const json rules = Body(r)["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["principal"], "dev");
  EXPECT_EQ(rules[1]["principal"], "*");
  EXPECT_EQ(rules[1]["effect"], "allow");
  EXPECT_EQ(rules[2]["effect"], "deny");

  // A bad rule in an array adds none of them.
  r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules",
           R"([{"rights":["subscribe"],"pattern":"ok/#"},{"rights":["subscribe"]}])");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("rule 1"), std::string::npos);
  r = Call(
      boss_, "POST", "/api/v1/admin/tenants/acme/rules",
      R"([{"rights":["publish"],"pattern":"ok/#"},{"rights":["publish","write"],"pattern":"x"}])");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(dir_->ListRules("acme")->size(), 3u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules", "[]").status, 400u);
  EXPECT_EQ(Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules",
                 R"({"effect":"maybe","rights":["publish"],"pattern":"a"})")
                .status,
            400u);

  EXPECT_EQ(
      Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/rules/" + std::to_string(first)).status,
      204u);
  EXPECT_EQ(
      Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/rules/" + std::to_string(first)).status,
      404u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/rules/abc").status, 400u);
  EXPECT_EQ(dir_->ListRules("acme")->size(), 2u);
}

TEST_F(AdminRoutesTest, SessionsWithoutABrokerAre503) {
  EXPECT_EQ(Call(op_, "GET", "/api/v1/admin/sessions").status, 503u);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/sessions").status, 503u);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/acme/sessions").status, 503u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/sessions/c1").status, 503u);
  EXPECT_EQ(Call(dev_, "GET", "/api/v1/admin/sessions").status, 403u);
  EXPECT_EQ(Call(boss_, "GET", "/api/v1/admin/tenants/beta/sessions").status, 403u);
  ASSERT_EQ(changes_.size(), 1u);  // the kick; reads are not reported
  EXPECT_EQ(changes_[0].action, "session.kick");
  EXPECT_EQ(changes_[0].target, "c1");
  EXPECT_EQ(changes_[0].code, StatusCode::kUnavailable);
}

TEST_F(AdminRoutesTest, ChangesAreReportedWithActionTargetAndOutcome) {
  Call(op_, "POST", "/api/v1/admin/tenants", R"({"name":"gamma"})");
  Call(op_, "POST", "/api/v1/admin/tenants", R"({"name":"gamma"})");
  Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/dev/disabled", R"({"disabled":true})");
  Call(boss_, "PUT", "/api/v1/admin/tenants/acme/principals/dev/disabled", R"({"disabled":false})");
  Call(boss_, "DELETE", "/api/v1/admin/tenants/beta/principals/bob");
  Response r = Call(boss_, "POST", "/api/v1/admin/tenants/acme/principals/dev/tokens",
                    R"({"rights":["publish"]})");
  Call(boss_, "POST", "/api/v1/admin/tenants/acme/rules", R"({"rights":["publish"]})");
  Call(boss_, "GET", "/api/v1/admin/tenants/acme/rules");  // reads are not reported
  Call(op_, "DELETE", "/api/v1/admin/tenants/gamma");

  ASSERT_EQ(changes_.size(), 8u);
  auto expect = [&](size_t i, std::string action, std::string tenant, std::string target,
                    StatusCode code) {
    SCOPED_TRACE(i);
    EXPECT_EQ(changes_[i].action, action);
    EXPECT_EQ(changes_[i].tenant, tenant);
    EXPECT_EQ(changes_[i].target, target);
    EXPECT_EQ(changes_[i].code, code);
    EXPECT_FALSE(changes_[i].anonymous);
  };
  expect(0, "tenant.create", "gamma", "", StatusCode::kOk);
  expect(1, "tenant.create", "gamma", "", StatusCode::kAlreadyExists);
  expect(2, "principal.disable", "acme", "dev", StatusCode::kOk);
  expect(3, "principal.enable", "acme", "dev", StatusCode::kOk);
  expect(4, "principal.delete", "beta", "bob", StatusCode::kPermissionDenied);
  expect(5, "token.issue", "acme", Body(r)["id"], StatusCode::kOk);
  expect(6, "rule.add", "acme", "", StatusCode::kInvalidArgument);
  expect(7, "tenant.delete", "gamma", "", StatusCode::kOk);
}

}  // namespace
}  // namespace verbund::http
