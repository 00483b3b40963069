// AuditRecorder: every broker and HTTP event becomes the audit entry doc/format/audit.md
// describes, durable when `done` says so; a log that cannot record reports the error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>

#include "audit/log.h"
#include "server/audit_events.h"

namespace verbund::server {
namespace {

using audit::Entry;
using audit::EventKind;
using audit::Outcome;
using mqtt::ReasonCode;

std::string Detail(const Entry& e, std::string_view key) {
  for (const auto& [k, v] : e.details) {
    if (k == key) return v;
  }
  return "<missing " + std::string(key) + ">";
}

bool HasDetail(const Entry& e, std::string_view key) {
  for (const auto& [k, v] : e.details) {
    if (k == key) return true;
  }
  return false;
}

class AuditRecorderTest : public ::testing::Test {
 protected:
  AuditRecorderTest() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("verbund_audit_recorder_" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    audit::AuditLogOptions o;
    o.dir = dir_;
    o.clock = &clock_;
    log_ = std::move(audit::AuditLog::Open(o).value());
    recorder_ = std::make_unique<AuditRecorder>(log_.get(), &clock_);
  }
  ~AuditRecorderTest() override {
    recorder_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The newest entry, once everything submitted is written.
  Entry Last() {
    EXPECT_TRUE(log_->Sync().ok());
    EXPECT_GT(log_->size(), 0u);
    return log_->Read(log_->size() - 1, 1).value().front();
  }

  // Runs `submit` with a done callback and waits for it.
  Status SubmitAndWait(const std::function<void(std::function<void(const Status&)>)>& submit) {
    std::promise<Status> p;
    submit([&p](const Status& st) { p.set_value(st); });
    return p.get_future().get();
  }

  FakeClock clock_{1'700'000'000'000'000'000};
  std::string dir_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<AuditRecorder> recorder_;
};

TEST_F(AuditRecorderTest, ConnectedIsDurableWhenDoneRuns) {
  Status st = SubmitAndWait([&](auto done) {
    recorder_->Connected({"press-7", "alice", "192.0.2.10:50123", "tls", "5.0"}, done);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  // fsync = always: the entry is in the synced prefix when done runs.
  EXPECT_EQ(log_->SyncedHead().size, 1u);
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kConnect);
  EXPECT_EQ(e.outcome, Outcome::kOk);
  EXPECT_EQ(e.time_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(e.tenant, "");
  EXPECT_EQ(e.principal, "alice");
  EXPECT_EQ(e.source, "192.0.2.10:50123");
  EXPECT_EQ(Detail(e, "client_id"), "press-7");
  EXPECT_EQ(Detail(e, "protocol"), "mqtt5");
  EXPECT_EQ(Detail(e, "transport"), "tls");
}

TEST_F(AuditRecorderTest, ConnectFailedNamesTheClaimedUserAndTheReason) {
  recorder_->ConnectFailed(
      {"plc-1", "mallory", "10.0.0.5:4000", "tcp", ReasonCode::kBadUserNameOrPassword});
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kConnectFailed);
  EXPECT_EQ(e.outcome, Outcome::kDenied);
  EXPECT_EQ(e.principal, "mallory");
  EXPECT_EQ(e.reason, "Bad User Name or Password");
  EXPECT_EQ(Detail(e, "reason_code"), "0x86");
  EXPECT_EQ(Detail(e, "client_id"), "plc-1");

  // Not a policy decision: an error, not a denial.
  recorder_->ConnectFailed({"", "", "10.0.0.5:4001", "ws", ReasonCode::kClientIdentifierNotValid});
  e = Last();
  EXPECT_EQ(e.outcome, Outcome::kError);
  EXPECT_EQ(e.principal, "");
  EXPECT_EQ(Detail(e, "transport"), "ws");
}

TEST_F(AuditRecorderTest, DisconnectCarriesTheConnectionsTraffic) {
  recorder_->Disconnected(
      {"press-7", "alice", "192.0.2.10:50123", "client disconnected", 3, 4, 120, 2000});
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kDisconnect);
  EXPECT_EQ(e.reason, "client disconnected");
  EXPECT_EQ(Detail(e, "messages_in"), "3");
  EXPECT_EQ(Detail(e, "messages_out"), "4");
  EXPECT_EQ(Detail(e, "bytes_in"), "120");
  EXPECT_EQ(Detail(e, "bytes_out"), "2000");
  EXPECT_FALSE(HasDetail(e, "publishes_denied"));  // only when there were any

  recorder_->Disconnected(
      {"press-7", "alice", "192.0.2.10:50123", "client disconnected", 90, 0, 900, 0, "", 88});
  EXPECT_EQ(Detail(Last(), "publishes_denied"), "88");
}

TEST_F(AuditRecorderTest, SubscribeGrantedAndDenied) {
  recorder_->Subscribed({"c", "alice", "p:1", "factory/#", ReasonCode::kGrantedQos1});
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kSubscribe);
  EXPECT_EQ(e.outcome, Outcome::kOk);
  EXPECT_EQ(Detail(e, "filter"), "factory/#");
  EXPECT_EQ(Detail(e, "qos"), "1");

  recorder_->Subscribed({"c", "alice", "p:1", "secret/#", ReasonCode::kNotAuthorized});
  e = Last();
  EXPECT_EQ(e.kind, EventKind::kSubscribeDenied);
  EXPECT_EQ(e.outcome, Outcome::kDenied);
  EXPECT_EQ(e.reason, "Not authorized");
  EXPECT_FALSE(HasDetail(e, "qos"));

  recorder_->Subscribed({"c", "alice", "p:1", "a/#/b", ReasonCode::kTopicFilterInvalid});
  EXPECT_EQ(Last().outcome, Outcome::kError);
}

TEST_F(AuditRecorderTest, PublishDenied) {
  recorder_->PublishDenied({"c", "bob", "p:2", "plant/valve/open"});
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kPublishDenied);
  EXPECT_EQ(e.outcome, Outcome::kDenied);
  EXPECT_EQ(e.principal, "bob");
  EXPECT_EQ(Detail(e, "topic"), "plant/valve/open");
}

TEST_F(AuditRecorderTest, ConsoleLoginsAndLogouts) {
  Status st = SubmitAndWait([&](auto done) {
    recorder_->Session({"192.0.2.7:4000", "login", "password", true, "", "acme", "ann"}, done);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kSession);
  EXPECT_EQ(EventKindName(e.kind), "session");
  EXPECT_EQ(e.outcome, Outcome::kOk);
  EXPECT_EQ(e.tenant, "acme");
  EXPECT_EQ(e.principal, "ann");
  EXPECT_EQ(Detail(e, "action"), "login");
  EXPECT_EQ(Detail(e, "method"), "password");

  st = SubmitAndWait([&](auto done) {
    recorder_->Session({"192.0.2.7:4000", "login", "token", false, "authorization failed", "", ""},
                       done);
  });
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(Last().outcome, Outcome::kDenied);
  EXPECT_EQ(Last().reason, "authorization failed");
}

TEST_F(AuditRecorderTest, WriteOutcomes) {
  Status st = SubmitAndWait([&](auto done) {
    recorder_->Write({"127.0.0.1:9000", "plant", 2, 10, 0, 204, ""}, done);
  });
  ASSERT_TRUE(st.ok());
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kWrite);
  EXPECT_EQ(e.outcome, Outcome::kOk);
  EXPECT_EQ(e.principal, "");
  EXPECT_EQ(e.source, "127.0.0.1:9000");
  EXPECT_EQ(Detail(e, "database"), "plant");
  EXPECT_EQ(Detail(e, "measurements"), "2");
  EXPECT_EQ(Detail(e, "points"), "10");
  EXPECT_EQ(Detail(e, "status"), "204");
  EXPECT_FALSE(HasDetail(e, "rejected"));

  ASSERT_TRUE(SubmitAndWait([&](auto done) {
                recorder_->Write({"p", "plant", 1, 4, 1, 400, "partial write: ..."}, done);
              }).ok());
  e = Last();
  EXPECT_EQ(e.outcome, Outcome::kError);
  EXPECT_EQ(e.reason, "partial write: ...");
  EXPECT_EQ(Detail(e, "rejected"), "1");
}

TEST_F(AuditRecorderTest, QueryStatementIsCutAt4KiBOnACharacterBoundary) {
  // 4095 ASCII bytes, then a 3-byte character straddling the limit.
  std::string statement = "SELECT " + std::string(4088, 'x') + "\xe2\x82\xac" + " FROM m";
  ASSERT_TRUE(SubmitAndWait([&](auto done) {
                recorder_->Query({"p", "plant", statement, 7, 200, "", "", ""}, done);
              }).ok());
  Entry e = Last();
  EXPECT_EQ(e.kind, EventKind::kQuery);
  EXPECT_EQ(e.outcome, Outcome::kOk);
  EXPECT_EQ(Detail(e, "statement"), statement.substr(0, 4095));
  EXPECT_EQ(Detail(e, "statement_bytes"), std::to_string(statement.size()));
  EXPECT_EQ(Detail(e, "rows"), "7");
  EXPECT_FALSE(HasDetail(e, "measurements"));  // nothing read (an empty answer, say)

  ASSERT_TRUE(SubmitAndWait([&](auto done) {
                recorder_->Query({"p", "plant", "SELECT v FROM a, b", 3, 200, "", "acme", "ann",
                                  "a,b", 1000, std::nullopt},
                                 done);
              }).ok());
  e = Last();
  EXPECT_EQ(Detail(e, "measurements"), "a,b");
  EXPECT_EQ(Detail(e, "from"), "1000");
  EXPECT_FALSE(HasDetail(e, "to"));  // unbounded

  ASSERT_TRUE(
      SubmitAndWait([&](auto done) {
        recorder_->Query({"p", "plant", "SELEC", 0, 400, "error parsing query: x", "", ""}, done);
      }).ok());
  e = Last();
  EXPECT_EQ(e.outcome, Outcome::kError);
  EXPECT_EQ(e.reason, "error parsing query: x");
  EXPECT_FALSE(HasDetail(e, "statement_bytes"));
  // A statement error inside a 200 is an error too.
  ASSERT_TRUE(
      SubmitAndWait([&](auto done) {
        recorder_->Query({"p", "plant", "SELECT x FROM y", 0, 200, "not found", "", ""}, done);
      }).ok());
  EXPECT_EQ(Last().outcome, Outcome::kError);
}

TEST_F(AuditRecorderTest, OverlongFieldsAreClippedNotRefused) {
  std::string huge(200000, 'e');
  ASSERT_TRUE(SubmitAndWait([&](auto done) {
                recorder_->Write({"p", "plant", 1, 1, 5000, 400, huge}, done);
              }).ok());
  Entry e = Last();
  EXPECT_EQ(e.reason.size(), 1024u);
  recorder_->PublishDenied({"c", "bob", "p", huge});
  EXPECT_EQ(Detail(Last(), "topic").size(), audit::kMaxStringBytes);
}

TEST_F(AuditRecorderTest, ALogThatCannotRecordReportsTheError) {
  audit::AuditLogOptions o;
  o.dir = dir_;
  o.read_only = true;  // Submit fails
  recorder_.reset();
  log_.reset();
  log_ = std::move(audit::AuditLog::Open(o).value());
  recorder_ = std::make_unique<AuditRecorder>(log_.get(), &clock_);
  Status st = SubmitAndWait([&](auto done) {
    recorder_->Connected({"c", "", "p", "tcp", "3.1.1"}, done);
  });
  EXPECT_FALSE(st.ok());
  st = SubmitAndWait([&](auto done) { recorder_->Write({"p", "db", 1, 1, 0, 204, ""}, done); });
  EXPECT_FALSE(st.ok());
  recorder_->Subscribed({"c", "", "p", "x", ReasonCode::kSuccess});  // no done: logged only
}

TEST(ClipUtf8Test, Boundaries) {
  EXPECT_EQ(ClipUtf8("abc", 3), "abc");
  EXPECT_EQ(ClipUtf8("abcd", 3), "abc");
  EXPECT_EQ(ClipUtf8("ab\xc3\xa9", 3), "ab");         // never half of é
  EXPECT_EQ(ClipUtf8("a\xf0\x9f\x98\x80z", 4), "a");  // nor of a 4-byte emoji
  EXPECT_EQ(ClipUtf8("a\xf0\x9f\x98\x80z", 5), "a\xf0\x9f\x98\x80");
  EXPECT_EQ(ClipUtf8("", 0), "");
}

}  // namespace
}  // namespace verbund::server
