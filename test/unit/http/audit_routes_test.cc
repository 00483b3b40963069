// The audit log over HTTP (/api/v1/audit/...) and the audit hooks of /write and /query: answers
// wait for their audit entries; proofs and exports verify with the library's own verifier.
#include "http/audit_routes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "audit/entry.h"
#include "audit/log.h"
#include "audit/sth.h"
#include "audit/verify.h"
#include "http/api.h"
#include "http/databases.h"
#include "http/memory_engine.h"
#include "ingest/pipeline.h"
#include "query/executor.h"

namespace verbund::http {
namespace {

using testing::MemoryEngine;

audit::Entry TenantEntry(int i, std::string tenant) {
  audit::Entry e;
  e.time_ns = 1'700'000'000'000'000'000 + i;
  e.tenant = std::move(tenant);
  e.principal = "user" + std::to_string(i);
  e.source = "10.0.0.1:" + std::to_string(1000 + i);
  e.kind = audit::EventKind::kQuery;
  e.Add("rows", i);
  return e;
}

// Records request events and holds their done callbacks until the test releases them.
class HeldEvents final : public RequestEvents {
 public:
  struct Held {
    bool write = false;
    std::string database, statement, error;
    uint64_t measurements = 0, points = 0, rows = 0;
    unsigned status = 0;
    Done done;
  };
  void Write(const WriteEvent& e, Done done) override {
    Held h;
    h.write = true;
    h.database = std::string(e.database);
    h.measurements = e.measurements;
    h.points = e.points;
    h.status = e.status;
    h.error = std::string(e.error);
    h.done = std::move(done);
    Push(std::move(h));
  }
  void Query(const QueryEvent& e, Done done) override {
    Held h;
    h.database = std::string(e.database);
    h.statement = std::string(e.statement);
    h.rows = e.rows;
    h.status = e.status;
    h.error = std::string(e.error);
    h.done = std::move(done);
    Push(std::move(h));
  }
  Held Next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !held_.empty(); });
    Held h = std::move(held_.front());
    held_.erase(held_.begin());
    return h;
  }

 private:
  void Push(Held h) {
    std::lock_guard lock(mu_);
    held_.push_back(std::move(h));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Held> held_;
};

class AuditApiTest : public ::testing::Test {
 protected:
  AuditApiTest()
      : pipeline_(&engine_, ingest::PipelineOptions{}), executor_(&engine_, ExecOptions(this)) {
    dir_ = std::filesystem::temp_directory_path() / ("http_audit_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    registry_ = std::move(DatabaseRegistry::Open((dir_ / "databases").string(), &engine_).value());
    audit::AuditLogOptions o;
    o.dir = (dir_ / "audit").string();
    o.fsync = FsyncPolicy::kNever;  // fast; the signer syncs before each head
    o.clock = &clock_;
    log_ = std::move(audit::AuditLog::Open(o).value());
    audit::SthSignerOptions so;
    so.dir = o.dir;
    so.clock = &clock_;
    signer_ = std::move(
        audit::SthSigner::Open(so, log_.get(), audit::SigningKey::Generate().value()).value());
    api_ = MakeApi(nullptr);
  }
  ~AuditApiTest() override {
    api_.reset();
    signer_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Api> MakeApi(RequestEvents* events, AuditAuthorizeFn authorize = nullptr,
                               bool with_audit = true) {
    ServerDeps deps;
    deps.engine = &engine_;
    deps.pipeline = &pipeline_;
    deps.executor = &executor_;
    deps.list_databases = registry_->ListFn();
    deps.create_database = registry_->CreateFn();
    deps.database_exists = registry_->ExistsFn();
    deps.clock = &clock_;
    deps.request_events = events;
    if (with_audit) {
      deps.audit_log = log_.get();
      deps.audit_signer = signer_.get();
    }
    deps.audit_authorize = std::move(authorize);
    return std::make_unique<Api>(std::move(deps), 1 << 20, [](std::function<void()> fn) { fn(); });
  }

  static query::ExecutorOptions ExecOptions(AuditApiTest* t) {
    query::ExecutorOptions o;
    o.clock = &t->clock_;
    o.list_databases = [t] { return t->registry_->List(); };
    o.create_database = [t](std::string_view n) { return t->registry_->Create(n); };
    return o;
  }

  // Starts a request; the future is ready once the reply came (streams read to the end).
  static std::future<Response> Start(Api& api, std::string method, std::string target,
                                     std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.peer = "127.0.0.1:5555";
    auto p = std::make_shared<std::promise<Response>>();
    auto f = p->get_future();
    api.Handle(std::move(r), [p](Response resp) { p->set_value(std::move(resp)); });
    return f;
  }
  static Response Drain(Response resp) {
    if (resp.stream) {
      bool finished = false;
      while (!finished) {
        for (auto& s : resp.stream->Take(&finished)) resp.body += s;
      }
    }
    return resp;
  }
  Response Get(std::string target) { return Drain(Start(*api_, "GET", std::move(target)).get()); }

  void AppendEntries(int n, const std::string& tenant = "") {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(log_->Submit(TenantEntry(i, tenant)).ok());
    ASSERT_TRUE(log_->Sync().ok());
  }
  audit::SignedTreeHead Sign() { return signer_->SignNow().value(); }

  FakeClock clock_;
  MemoryEngine engine_;
  ingest::Pipeline pipeline_;
  std::unique_ptr<DatabaseRegistry> registry_;
  query::Executor executor_;
  std::filesystem::path dir_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<audit::SthSigner> signer_;
  std::unique_ptr<Api> api_;
};

TEST_F(AuditApiTest, NotEnabledIs404AndOnlyGetIsAllowed) {
  auto without = MakeApi(nullptr, nullptr, /*with_audit=*/false);
  Response r = Drain(Start(*without, "GET", "/api/v1/audit/sth").get());
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("not enabled"), std::string::npos);
  r = Drain(Start(*api_, "POST", "/api/v1/audit/sth").get());
  EXPECT_EQ(r.status, 405u);
  r = Get("/api/v1/audit/nope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(RouteOf("/api/v1/audit/entries"), Route::kApiAudit);
}

TEST_F(AuditApiTest, SignedTreeHeadLatestAndBySize) {
  Response r = Get("/api/v1/audit/sth");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("no signed tree head yet"), std::string::npos);
  AppendEntries(3);
  audit::SignedTreeHead three = Sign();
  AppendEntries(2);
  audit::SignedTreeHead five = Sign();
  r = Get("/api/v1/audit/sth");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto sth = audit::SthFromJson(r.body);
  ASSERT_TRUE(sth.ok()) << r.body;
  EXPECT_EQ(*sth, five);
  EXPECT_TRUE(audit::VerifySth(*sth, signer_->public_key()).ok());
  r = Get("/api/v1/audit/sth?size=3");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(audit::SthFromJson(r.body).value(), three);
  EXPECT_EQ(Get("/api/v1/audit/sth?size=4").status, 404u);
  r = Get("/api/v1/audit/sth?size=x");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("\"invalid_argument\""), std::string::npos);
}

TEST_F(AuditApiTest, EntriesWithIndexPagingAndTenantFilter) {
  AppendEntries(3, "a");
  AppendEntries(2, "b");
  Response r = Get("/api/v1/audit/entries?start=1&count=3");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body.rfind("{\"tree_size\":5,\"start\":1,\"next\":4,\"entries\":[{\"index\":1,", 0),
            0u)
      << r.body;
  EXPECT_NE(r.body.find("{\"index\":3,\"time_ns\":"), std::string::npos);
  EXPECT_EQ(r.body.find("\"index\":4"), std::string::npos);
  r = Get("/api/v1/audit/entries?tenant=b");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.find("\"index\":2"), std::string::npos);
  EXPECT_NE(r.body.find("\"index\":3"), std::string::npos);
  EXPECT_NE(r.body.find("\"index\":4"), std::string::npos);
  EXPECT_NE(r.body.find("\"next\":5"), std::string::npos);
  r = Get("/api/v1/audit/entries?start=5");  // the end: nothing yet
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"entries\":[]"), std::string::npos);
  r = Get("/api/v1/audit/entries?start=6");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("past the end of the log (5 entries)"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/audit/entries?start=-1").status, 400u);
  EXPECT_EQ(Get("/api/v1/audit/entries?count=0").status, 400u);
  EXPECT_EQ(Get("/api/v1/audit/entries?count=1x").status, 400u);
}

TEST_F(AuditApiTest, EntriesAreCappedAtTenThousand) {
  AppendEntries(10005);
  Response r = Get("/api/v1/audit/entries?start=2&count=1000000");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"next\":10002,"), std::string::npos);
  size_t n = 0;
  for (size_t at = r.body.find("{\"index\":"); at != std::string::npos;
       at = r.body.find("{\"index\":", at + 1)) {
    ++n;
  }
  EXPECT_EQ(n, kMaxAuditEntriesPerRequest);
}

TEST_F(AuditApiTest, InclusionProofVerifies) {
  AppendEntries(7);
  audit::SignedTreeHead sth = Sign();
  Response r = Get("/api/v1/audit/proof/inclusion?index=5");  // size: the newest head's
  ASSERT_EQ(r.status, 200u) << r.body;
  auto p = audit::InclusionFromJson(r.body);
  ASSERT_TRUE(p.ok()) << r.body;
  EXPECT_EQ(p->tree_size, 7u);
  EXPECT_FALSE(p->entry.empty());  // the entry rides along, so its bytes are checked too
  EXPECT_TRUE(audit::VerifyInclusionProof(*p, sth, signer_->public_key()).ok());
  r = Get("/api/v1/audit/proof/inclusion?index=2&size=7");
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(audit::VerifyInclusionProof(audit::InclusionFromJson(r.body).value(), sth,
                                          signer_->public_key())
                  .ok());
  EXPECT_EQ(Get("/api/v1/audit/proof/inclusion?index=7&size=7").status, 400u);
  EXPECT_EQ(Get("/api/v1/audit/proof/inclusion?index=0&size=8").status, 404u);
  EXPECT_EQ(Get("/api/v1/audit/proof/inclusion?size=7").status, 400u);  // index required
}

TEST_F(AuditApiTest, ConsistencyProofVerifies) {
  AppendEntries(3);
  audit::SignedTreeHead older = Sign();
  AppendEntries(4);
  audit::SignedTreeHead newer = Sign();
  Response r = Get("/api/v1/audit/proof/consistency?first=3&second=7");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto p = audit::ConsistencyFromJson(r.body);
  ASSERT_TRUE(p.ok()) << r.body;
  EXPECT_TRUE(audit::VerifyConsistencyProof(*p, older, newer, signer_->public_key()).ok());
  r = Get("/api/v1/audit/proof/consistency?first=3");  // second: the newest head's size
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(audit::ConsistencyFromJson(r.body).value().second, 7u);
  EXPECT_EQ(Get("/api/v1/audit/proof/consistency?first=5&second=4").status, 400u);
  EXPECT_EQ(Get("/api/v1/audit/proof/consistency?first=1&second=9").status, 404u);
  EXPECT_EQ(Get("/api/v1/audit/proof/consistency?second=7").status, 400u);
}

TEST_F(AuditApiTest, ExportVerifiesAndPubkeyMatches) {
  EXPECT_EQ(Get("/api/v1/audit/export").status, 404u);  // nothing signed yet
  AppendEntries(4);
  Sign();
  AppendEntries(2);
  Sign();
  Response r = Get("/api/v1/audit/export");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  audit::VerifyReport report = audit::VerifyExport(r.body, signer_->public_key());
  EXPECT_TRUE(report.ok) << report.check << ": " << report.message;
  EXPECT_EQ(report.entries, 6u);
  EXPECT_EQ(report.tree_heads, 2u);
  r = Get("/api/v1/audit/pubkey");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"hex\":\"" + signer_->public_key().Hex() + "\""), std::string::npos);
  EXPECT_EQ(audit::PublicKey::Parse(signer_->public_key().Pem()).value(), signer_->public_key());
}

TEST_F(AuditApiTest, AuthorizationHookDecidesPerTenant) {
  AppendEntries(2, "a");
  Sign();
  std::vector<std::string> asked;
  auto api = MakeApi(nullptr, [&](const Request& req, std::string_view tenant) {
    EXPECT_EQ(req.peer, "127.0.0.1:5555");
    asked.emplace_back(tenant);
    return tenant == "a";
  });
  auto get = [&](std::string target) { return Drain(Start(*api, "GET", target).get()); };
  EXPECT_EQ(get("/api/v1/audit/entries?tenant=a").status, 200u);
  Response r = get("/api/v1/audit/entries?tenant=b");
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("permission_denied"), std::string::npos);
  EXPECT_EQ(get("/api/v1/audit/entries").status, 403u);  // hub-wide
  EXPECT_EQ(get("/api/v1/audit/sth").status, 403u);
  EXPECT_EQ(get("/api/v1/audit/export").status, 403u);
  EXPECT_EQ(get("/api/v1/audit/pubkey").status, 200u);  // public by nature
  EXPECT_EQ(asked, (std::vector<std::string>{"a", "b", "", "*", ""}));
}

TEST_F(AuditApiTest, WriteAnswersOnlyOnceItsEntryIsDurable) {
  HeldEvents events;
  auto api = MakeApi(&events);
  ASSERT_TRUE(registry_->Create("plant").ok());
  auto f =
      Start(*api, "POST", "/write?db=plant", "cpu,host=a v=1 1\nmem v=2 2\ncpu,host=b v=3 3\n");
  HeldEvents::Held h = events.Next();  // reported after the pipeline made the points durable
  EXPECT_TRUE(h.write);
  EXPECT_EQ(h.database, "plant");
  EXPECT_EQ(h.measurements, 2u);
  EXPECT_EQ(h.points, 3u);
  EXPECT_EQ(h.status, 204u);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  h.done(Status::OK());
  EXPECT_EQ(f.get().status, 204u);

  // Refused requests are recorded too, with the error sent.
  f = Start(*api, "POST", "/write?db=nope", "cpu v=1 1\n");
  h = events.Next();
  EXPECT_EQ(h.status, 404u);
  EXPECT_EQ(h.points, 0u);
  EXPECT_NE(h.error.find("database not found"), std::string::npos);
  h.done(Status::OK());
  EXPECT_EQ(f.get().status, 404u);

  // An entry that cannot be recorded: the write is not confirmed.
  f = Start(*api, "POST", "/write?db=plant", "cpu v=1 1\n");
  h = events.Next();
  h.done(IOError("disk gone"));
  Response r = f.get();
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("audit log unavailable: disk gone"), std::string::npos);
}

TEST_F(AuditApiTest, QueryAnswersOnlyOnceItsEntryIsDurable) {
  HeldEvents events;
  auto api = MakeApi(&events);
  ASSERT_TRUE(registry_->Create("plant").ok());
  auto w = Start(*api, "POST", "/write?db=plant", "cpu v=1 1\ncpu v=2 2\n");
  events.Next().done(Status::OK());
  ASSERT_EQ(w.get().status, 204u);

  auto f = Start(*api, "GET", "/query?db=plant&q=SELECT+v+FROM+cpu");
  HeldEvents::Held h = events.Next();
  EXPECT_FALSE(h.write);
  EXPECT_EQ(h.database, "plant");
  EXPECT_EQ(h.statement, "SELECT v FROM cpu");
  EXPECT_EQ(h.rows, 2u);
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  h.done(Status::OK());
  EXPECT_EQ(f.get().status, 200u);

  f = Start(*api, "GET", "/query?db=plant&q=SELEC");
  h = events.Next();
  EXPECT_EQ(h.status, 400u);
  EXPECT_NE(h.error.find("error parsing query"), std::string::npos);
  h.done(Status::OK());
  EXPECT_EQ(f.get().status, 400u);

  // Chunked: the 200 and the chunks go out; the body ends once the entry is durable.
  f = Start(*api, "GET", "/query?db=plant&q=SELECT+v+FROM+cpu&chunked=true&chunk_size=1");
  h = events.Next();
  EXPECT_EQ(h.rows, 2u);
  Response r = f.get();
  ASSERT_TRUE(r.stream);
  bool finished = false;
  for (auto& s : r.stream->Take(&finished)) r.body += s;
  EXPECT_FALSE(finished);
  h.done(Status::OK());
  r = Drain(std::move(r));
  EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 2);
}

}  // namespace
}  // namespace verbund::http
