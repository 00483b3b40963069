// The admin API's sessions routes against a real broker: listing (all, per tenant) and kicking
// one client with DISCONNECT 0x98 (Administrative action).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "http/admin_routes.h"
#include "mqtt/broker.h"
#include "mqtt/codec/codec.h"
#include "net/io_pool.h"
#include "net/listener.h"
#include "security/directory.h"
#include "security/names.h"

namespace verbund::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

// "tenant/user" usernames become principals of that tenant; everything is allowed.
class TenantAuthenticator final : public mqtt::Authenticator {
 public:
  std::variant<mqtt::Principal, mqtt::ReasonCode> Authenticate(
      const mqtt::ConnectInfo& info) override {
    mqtt::Principal p;
    if (!info.username) return p;
    size_t slash = info.username->find('/');
    p.anonymous = false;
    p.tenant = info.username->substr(0, slash);
    p.name = info.username->substr(slash + 1);
    p.mount = p.tenant + '/';
    return p;
  }
};
class AllowAll final : public mqtt::Authorizer {
 public:
  bool CanPublish(const mqtt::Principal&, std::string_view) override { return true; }
  bool CanSubscribe(const mqtt::Principal&, std::string_view) override { return true; }
  bool CanReceive(const mqtt::Principal&, std::string_view) override { return true; }
};

// A raw MQTT 5 connection: CONNECT, then whatever bytes the broker sends.
class RawClient {
 public:
  RawClient(uint16_t port, const std::string& client_id, const std::string& username) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{0, 100'000};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    mqtt::ConnectPacket c;
    c.version = mqtt::ProtocolVersion::kV5;
    c.client_id = client_id;
    c.username = username;
    std::string out;
    mqtt::EncodePacket(c, mqtt::ProtocolVersion::kV5, &out);
    asio::write(socket_, asio::buffer(out));
    Read(std::chrono::seconds(5), 4);  // CONNACK
  }
  // Reads until `min_bytes` arrived, the connection closed or `timeout` passed.
  void Read(std::chrono::milliseconds timeout, size_t min_bytes = SIZE_MAX) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && received_.size() < min_bytes &&
           std::chrono::steady_clock::now() < deadline) {
      char tmp[512];
      ssize_t n = ::recv(socket_.native_handle(), tmp, sizeof tmp, 0);
      if (n > 0) received_.append(tmp, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        closed_ = true;
      }
    }
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

 private:
  asio::io_context ctx_;
  tcp::socket socket_{ctx_};
  std::string received_;
  bool closed_ = false;
};

class AdminSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<net::IoPool>(2);
    mqtt::BrokerOptions o;
    o.clock = &clock_;
    o.authenticator = &authn_;
    o.authorizer = &authz_;
    broker_ = std::make_unique<mqtt::Broker>(std::move(o), pool_.get());
    auto listener = net::Listener::Create(
        "mqtt.listen", "127.0.0.1:0", net::TransportKind::kTcp, pool_.get(), nullptr, &limit_,
        [this](std::unique_ptr<net::Transport> t, net::ConnectionLease lease) {
          broker_->Accept(std::move(t), std::move(lease));
        });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
    pool_->Start();
    listener_->Start();

    security::DirectoryOptions d;
    path_ = (std::filesystem::path(::testing::TempDir()) /
             ("verbund_admin_sessions_" + std::to_string(::getpid()) + ".dir"))
                .string();
    std::filesystem::remove(path_);
    d.path = path_;
    auto dir = security::Directory::Open(std::move(d));
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(dir).value();
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    ASSERT_TRUE(dir_->CreateTenant("beta").ok());
    ASSERT_TRUE(
        dir_->CreatePrincipal(security::kOperatorTenant, "root", security::PrincipalKind::kOperator)
            .ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "boss", security::PrincipalKind::kUser, true).ok());
    op_ = Login(security::kOperatorTenant, "root");
    boss_ = Login("acme", "boss");
    AdminDeps deps;
    deps.directory = dir_.get();
    deps.broker = broker_.get();
    deps.on_change = [this](const Caller&, std::string_view action, std::string_view,
                            std::string_view target, const Status& st) {
      std::lock_guard lock(mu_);
      changes_.push_back(std::string(action) + " " + std::string(target) + " " +
                         std::string(StatusCodeName(st.code())));
    };
    routes_ = std::make_unique<AdminRoutes>(std::move(deps));
  }
  void TearDown() override {
    listener_->Stop();
    broker_->Shutdown();
    pool_->Stop();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  Caller Login(std::string_view tenant, std::string_view name) {
    auto issued = dir_->IssueToken(tenant, name, security::kAllRights, 0);
    EXPECT_TRUE(issued.ok());
    Caller c;
    c.identity = dir_->snapshot()->AuthenticateToken(issued->token, 0).identity;
    return c;
  }

  // Waits for the reply, which comes from a broker thread.
  Response Call(const Caller& caller, std::string method, std::string target) {
    Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    std::promise<Response> got;
    routes_->Handle(req, *ParseTarget(req.target), caller,
                    [&](Response r) { got.set_value(std::move(r)); });
    auto f = got.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return f.get();
  }
  static std::vector<std::string> ClientIds(const Response& r) {
    std::vector<std::string> ids;
    const json sessions = json::parse(r.body)["sessions"];
    for (const json& s : sessions) {
      ids.push_back(s["tenant"].get<std::string>() + "/" + s["client_id"].get<std::string>());
    }
    return ids;
  }

  SystemClock clock_;
  TenantAuthenticator authn_;
  AllowAll authz_;
  net::ConnectionLimit limit_{100};
  std::unique_ptr<net::IoPool> pool_;
  std::unique_ptr<mqtt::Broker> broker_;
  std::unique_ptr<net::Listener> listener_;
  std::string path_;
  std::unique_ptr<security::Directory> dir_;
  std::unique_ptr<AdminRoutes> routes_;
  Caller op_, boss_;
  std::mutex mu_;
  std::vector<std::string> changes_;
};

TEST_F(AdminSessionsTest, ListsAllForOperatorsAndOwnTenantForTenantAdmins) {
  RawClient a(listener_->port(), "dev-1", "acme/alice");
  RawClient b(listener_->port(), "dev-1", "beta/bob");  // the same client id in another tenant
  Response r = Call(op_, "GET", "/api/v1/admin/sessions");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(ClientIds(r), (std::vector<std::string>{"acme/dev-1", "beta/dev-1"}));
  r = Call(boss_, "GET", "/api/v1/admin/sessions");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(ClientIds(r), (std::vector<std::string>{"acme/dev-1"}));
  r = Call(op_, "GET", "/api/v1/admin/tenants/beta/sessions");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(ClientIds(r), (std::vector<std::string>{"beta/dev-1"}));
  const json first = json::parse(r.body)["sessions"][0];
  EXPECT_EQ(first["principal"], "bob");
  EXPECT_EQ(first["protocol"], "5.0");
  EXPECT_EQ(first["transport"], "tcp");
}

TEST_F(AdminSessionsTest, KickDisconnectsExactlyThatTenantsClientWith0x98) {
  RawClient a(listener_->port(), "dev-1", "acme/alice");
  RawClient b(listener_->port(), "dev-1", "beta/bob");
  Response r = Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/sessions/dev-1");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["disconnected"], 1);
  a.Read(std::chrono::seconds(2));
  EXPECT_TRUE(a.closed());
  // The CONNACK (remaining length < 128 here), then DISCONNECT with reason 0x98.
  const std::string& got = a.received();
  ASSERT_GE(got.size(), 2u);
  ASSERT_EQ(static_cast<uint8_t>(got[0]), 0x20);
  const size_t at = 2 + static_cast<uint8_t>(got[1]);
  ASSERT_GT(got.size(), at + 2);
  EXPECT_EQ(static_cast<uint8_t>(got[at]), 0xE0);
  EXPECT_EQ(static_cast<uint8_t>(got[at + 2]), 0x98);
  b.Read(std::chrono::milliseconds(300));
  EXPECT_FALSE(b.closed());

  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/acme/sessions/dev-1").status, 404u);
  EXPECT_EQ(Call(boss_, "DELETE", "/api/v1/admin/tenants/beta/sessions/dev-1").status, 403u);
  std::lock_guard lock(mu_);
  EXPECT_EQ(changes_,
            (std::vector<std::string>{"session.kick dev-1 OK", "session.kick dev-1 NotFound",
                                      "session.kick dev-1 PermissionDenied"}));
}

}  // namespace
}  // namespace verbund::http
