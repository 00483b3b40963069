#include "server/hub.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <csignal>
#include <filesystem>
#include <future>

#include "audit/hash.h"
#include "audit/log.h"
#include "audit/sth.h"
#include "core/logging.h"
#include "http/access.h"
#include "http/admin_routes.h"
#include "http/console_assets.h"
#include "http/databases.h"
#include "http/server.h"
#include "ingest/mqtt_ingest.h"
#include "ingest/pipeline.h"
#include "keys/file_key_provider.h"
#include "keys/sealed.h"
#include "mqtt/auth.h"
#include "mqtt/broker.h"
#include "mqtt/broker_store.h"
#include "mqtt/sys_topics.h"
#include "net/io_pool.h"
#include "net/listener.h"
#include "net/tls.h"
#include "query/executor.h"
#include "security/directory.h"
#include "security/names.h"
#include "security/usage.h"
#include "server/audit_events.h"
#include "server/console_topics.h"
#include "server/demo_source.h"
#include "server/mqtt_access.h"
#include "server/store_usage.h"
#include "storage/engine.h"

namespace verbund::server {
namespace {

// How often the series and stored-bytes figures behind the storage quotas are refreshed.
constexpr std::chrono::milliseconds kStoreUsageRefresh{5000};

// Where the web console's files are: http.console_dir, else installed beside the binary
// (<prefix>/bin/verbund, <prefix>/share/verbund/console), else the build tree's.
std::string ConsoleDir(const HttpConfig& c) {
  if (!c.console_dir.empty()) return c.console_dir;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "verbund" / "console";
    if (std::filesystem::exists(installed / "index.html", ec)) return installed.string();
  }
  return VERBUND_CONSOLE_BUILD_DIR;
}

// The directory of tenants and principals, sealed like the catalog (AES-256-GCM under the
// hub's own system key, the file name as associated data).
Result<std::unique_ptr<security::Directory>> OpenDirectory(const std::string& path,
                                                           keys::KeyProvider* keys) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return IOError("cannot create the directory of " + path + ": " + ec.message());
  ASSIGN_OR_RETURN(keys::KeyId key_id, keys->ActiveKeyId(security::kOperatorTenant));
  security::DirectoryOptions o;
  o.path = path;
  o.seal = [keys, key_id](std::string_view aad, std::string_view plain) {
    return keys::SealWithKeyId(*keys, key_id, aad, plain);
  };
  o.open = [keys](std::string_view aad, std::string_view sealed) {
    return keys::OpenWithKeyId(*keys, aad, sealed);
  };
  return security::Directory::Open(std::move(o));
}

std::string KeyFile(const Config& c) {
  return c.storage.key_file.empty() ? c.data_dir + "/keys/local.key" : c.storage.key_file;
}

std::string DirectoryFile(const Config& c) { return c.data_dir + "/security/directory"; }

}  // namespace

Result<std::string> InitAdmin(const Config& config, const std::string& name) {
  ASSIGN_OR_RETURN(auto keys, keys::FileKeyProvider::Open(KeyFile(config)));
  ASSIGN_OR_RETURN(auto directory, OpenDirectory(DirectoryFile(config), keys.get()));
  RETURN_IF_ERROR(directory->CreatePrincipal(security::kOperatorTenant, name,
                                             security::PrincipalKind::kOperator));
  ASSIGN_OR_RETURN(security::IssuedToken token,
                   directory->IssueToken(security::kOperatorTenant, name, security::kAllRights, 0));
  return token.token;
}

struct Hub::Impl {
  Config config;
  // Before the pool: connections still queued in its contexts hold leases on it.
  std::unique_ptr<net::ConnectionLimit> limit;
  std::unique_ptr<net::IoPool> pool;
  std::shared_ptr<boost::asio::ssl::context> tls;
  metrics::Histogram wal_fsync_seconds = metrics::Histogram::LatencySeconds();
  std::unique_ptr<keys::FileKeyProvider> keys;
  std::unique_ptr<storage::Engine> engine;
  std::unique_ptr<ingest::SeriesIdCache> series;
  std::unique_ptr<ingest::Pipeline> pipeline;
  std::unique_ptr<ingest::MqttIngest> mqtt_ingest;
  // The audit log outlives the broker and HTTP server, whose last events it records.
  std::unique_ptr<audit::AuditLog> audit_log;
  std::unique_ptr<audit::SthSigner> audit_signer;
  std::unique_ptr<AuditRecorder> audit_recorder;
  std::unique_ptr<mqtt::BrokerStore> broker_store;
  std::unique_ptr<security::Directory> directory;
  security::Usage usage;  // quotas: what tenants and principals use now
  std::unique_ptr<StoreUsage> store_usage;  // series and stored-bytes quotas
  int directory_listener = 0;
  std::unique_ptr<MqttAccess> mqtt_access;
  std::unique_ptr<ConsoleTopics> console_topics;  // a tap of the broker: outlives it
  std::unique_ptr<mqtt::Broker> broker;
  std::unique_ptr<http::DatabaseRegistry> databases;
  std::unique_ptr<query::Executor> executor;
  std::unique_ptr<http::Access> http_access;
  std::unique_ptr<http::AdminRoutes> admin;
  std::unique_ptr<http::ConsoleAssets> console;
  std::unique_ptr<http::Server> http;
  std::unique_ptr<DemoSource> demo;
  std::unique_ptr<mqtt::SysPublisher> sys;
  std::vector<std::unique_ptr<net::Listener>> listeners;
  Ports ports;
  bool stopped = false;
};

Hub::Hub(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Hub::~Hub() { Stop(); }

Hub::Ports Hub::ports() const { return impl_->ports; }

Status Hub::Start() {
  Impl& h = *impl_;
  const Config& c = h.config;
  auto log = Logger("hub");
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) return IOError("data_dir: cannot create '" + c.data_dir + "': " + ec.message());

  uint64_t files = net::RaiseFileLimit();
  log->info("open-file limit {}", files);

  h.pool = std::make_unique<net::IoPool>(c.mqtt.io_threads);
  if (!c.tls.cert.empty()) {
    ASSIGN_OR_RETURN(h.tls, net::MakeServerTlsContext(c.tls));
  }
  // Leave room for storage files and HTTP clients under the descriptor limit.
  uint64_t usable = files > 256 ? files - 256 : files;
  h.limit = std::make_unique<net::ConnectionLimit>(
      static_cast<uint32_t>(std::min<uint64_t>(c.mqtt.max_connections, usable)));

  // Storage: keys first (the engine only ever sees key ids and data keys), then the engine,
  // which replays its WAL before anything is served.
  ASSIGN_OR_RETURN(h.keys, keys::FileKeyProvider::Open(KeyFile(c)));
  storage::EngineOptions eo;
  eo.dir = c.data_dir + "/storage";
  eo.fsync = c.storage.fsync;
  eo.fsync_interval_ms = c.storage.fsync_interval_ms;
  eo.head_memory_bytes = c.storage.head_memory_bytes;
  eo.chunk_max_points = c.storage.chunk_max_points;
  eo.chunk_cache_bytes = c.storage.chunk_cache_bytes;
  eo.keys = h.keys.get();
  eo.wal_fsync_seconds = &h.wal_fsync_seconds;
  // Set once the directory is open; replay at open never creates series.
  eo.admit_series = [&h](std::string_view db, size_t n) {
    return h.store_usage ? h.store_usage->AdmitSeries(db, n) : Status::OK();
  };
  ASSIGN_OR_RETURN(h.engine, storage::Engine::Open(eo));
  if (c.storage.default_retention_s > 0) {
    RETURN_IF_ERROR(h.engine->SetRetention(c.ingest.tenant, "",
                                           static_cast<int64_t>(c.storage.default_retention_s) * 1'000'000'000));
  }
  ingest::PipelineOptions po;
  po.max_pending_points = c.ingest.max_pending_points;
  h.pipeline = std::make_unique<ingest::Pipeline>(h.engine.get(), po);
  h.series = std::make_unique<ingest::SeriesIdCache>(h.engine.get());

  // Audit log: before anything that reports events to it.
  if (c.audit.enabled) RETURN_IF_ERROR(StartAudit().Annotate("audit log"));

  ASSIGN_OR_RETURN(h.broker_store, mqtt::BrokerStore::Open(c.data_dir + "/mqtt", h.keys.get()));
  ASSIGN_OR_RETURN(auto legacy_auth, mqtt::PasswordAuthenticator::Create(c.mqtt.password_file,
                                                                         c.mqtt.allow_anonymous));
  ASSIGN_OR_RETURN(h.directory, OpenDirectory(DirectoryFile(c), h.keys.get()));
  h.store_usage = std::make_unique<StoreUsage>(h.engine.get(), h.directory.get(), &h.usage);
  if (c.http.auth) {
    auto operators = h.directory->ListPrincipals(security::kOperatorTenant);
    if (operators.ok() && operators->empty()) {
      log->warn("no operator yet: create the first with `verbund --init-admin`");
    }
  }
  security::LoginThrottleOptions throttle;
  throttle.base_delay_ms = c.security.login_backoff_ms;
  throttle.max_delay_ms = std::max(c.security.login_backoff_max_ms, c.security.login_backoff_ms);
  h.mqtt_access = std::make_unique<MqttAccess>(std::move(legacy_auth), c.ingest.tenant,
                                               h.directory.get(), nullptr, throttle, &h.usage);

  mqtt::BrokerOptions bo;
  bo.mqtt = c.mqtt;
  bo.authenticator = h.mqtt_access.get();
  bo.authorizer = h.mqtt_access.get();
  bo.store = h.broker_store.get();
  bo.events = h.audit_recorder.get();
  h.broker = std::make_unique<mqtt::Broker>(std::move(bo), h.pool.get());
  if (c.ingest.enabled) {
    ASSIGN_OR_RETURN(h.mqtt_ingest, ingest::MqttIngest::Create(c.ingest, h.series.get(), h.pipeline.get(), nullptr));
    h.mqtt_ingest->set_tenant_namespaces(true);  // every client topic starts with its tenant
    h.mqtt_ingest->set_admission(
        [u = h.store_usage.get()](std::string_view db) { return u->AdmitWrite(db); });
    h.broker->AddTap(h.mqtt_ingest.get());
  }
  h.console_topics = std::make_unique<ConsoleTopics>(h.broker.get(), h.mqtt_access.get());
  h.broker->AddTap(h.console_topics.get());
  RETURN_IF_ERROR(h.broker->Restore().Annotate("restoring broker state"));
  // A changed credential or rule reaches connected clients at once: refused identities are
  // disconnected (0x87), the others get their rules rebuilt.
  h.directory_listener =
      h.directory->AddListener([broker = h.broker.get(), access = h.mqtt_access.get(),
                                topics = h.console_topics.get()](const security::ChangeEvent&) {
        broker->Reauthorize([access](const mqtt::Principal& p) { return access->Reauthorize(p); },
                            mqtt::ReasonCode::kNotAuthorized, nullptr);
        topics->Reauthorize();
      });

  auto accept = [broker = h.broker.get()](std::unique_ptr<net::Transport> t,
                                          net::ConnectionLease lease) {
    broker->Accept(std::move(t), std::move(lease));
  };
  struct Spec {
    const char* key;
    const std::string* address;
    net::TransportKind kind;
    uint16_t* port;
  };
  const Spec specs[] = {
      {"mqtt.listen", &c.mqtt.listen, net::TransportKind::kTcp, &h.ports.mqtt},
      {"mqtt.tls_listen", &c.mqtt.tls_listen, net::TransportKind::kTls, &h.ports.mqtts},
      {"mqtt.ws_listen", &c.mqtt.ws_listen, net::TransportKind::kWs, &h.ports.ws},
      {"mqtt.wss_listen", &c.mqtt.wss_listen, net::TransportKind::kWss, &h.ports.wss},
  };
  for (const Spec& s : specs) {
    if (s.address->empty()) continue;
    bool needs_tls = s.kind == net::TransportKind::kTls || s.kind == net::TransportKind::kWss;
    if (needs_tls && !h.tls) {
      log->info("{} not started: no [tls] cert and key configured", s.key);
      continue;
    }
    ASSIGN_OR_RETURN(auto listener,
                     net::Listener::Create(s.key, *s.address, s.kind, h.pool.get(),
                                           needs_tls ? h.tls.get() : nullptr, h.limit.get(), accept));
    *s.port = listener->port();
    h.listeners.push_back(std::move(listener));
  }

  // HTTP: the InfluxDB-compatible API over the same engine and write pipeline.
  ASSIGN_OR_RETURN(h.databases, http::DatabaseRegistry::Open(c.data_dir + "/http/databases", h.engine.get()));
  query::ExecutorOptions xo;
  xo.list_databases = h.databases->ListFn();
  xo.create_database = h.databases->CreateFn();
  h.executor = std::make_unique<query::Executor>(h.engine.get(), std::move(xo));
  if (!c.http.listen.empty()) {
    http::ServerDeps deps;
    deps.engine = h.engine.get();
    deps.pipeline = h.pipeline.get();
    deps.executor = h.executor.get();
    deps.broker_metrics = &h.broker->metrics();
    deps.tenant_mqtt = [broker = h.broker.get()] { return broker->TenantTotalsNow(); };
    deps.list_databases = h.databases->ListFn();
    deps.create_database = h.databases->CreateFn();
    deps.database_exists = h.databases->ExistsFn();
    deps.data_dir = c.data_dir;
    deps.wal_fsync_seconds = &h.wal_fsync_seconds;
    deps.series_cache = h.series.get();
    http::AccessOptions ao{h.directory.get(), c.http.auth, nullptr, throttle, &h.usage};
    h.http_access = std::make_unique<http::Access>(ao);
    deps.access = h.http_access.get();
    http::AdminDeps ad;
    ad.directory = h.directory.get();
    ad.broker = h.broker.get();
    if (h.audit_recorder) {
      ad.on_change = [recorder = h.audit_recorder.get()](
                         const http::Caller& caller, std::string_view action,
                         std::string_view tenant, std::string_view target, const Status& outcome) {
        recorder->AdminChange(caller, action, tenant, target, outcome);
      };
    }
    h.admin = std::make_unique<http::AdminRoutes>(std::move(ad));
    deps.admin = h.admin.get();
    deps.request_events = h.audit_recorder.get();
    deps.audit_log = h.audit_log.get();
    deps.audit_signer = h.audit_signer.get();
    deps.topics = h.console_topics.get();
    if (c.http.console) {
      const std::string dir = ConsoleDir(c.http);
      Result<http::ConsoleAssets> assets = http::ConsoleAssets::Load(dir);
      if (assets.ok()) {
        h.console = std::make_unique<http::ConsoleAssets>(std::move(*assets));
        log->info("web console: {} files ({} bytes) from {}", h.console->file_count(),
                  h.console->total_bytes(), dir);
      } else {
        const std::string why = "the web console is not built (" + assets.status().message() +
                                "): build with Node.js and npm installed";
        log->warn("{}", why);
        h.console = std::make_unique<http::ConsoleAssets>(why);
      }
      deps.console = h.console.get();
    }
    ASSIGN_OR_RETURN(h.http, http::Server::Create(c.http, h.pool.get(), c.http.tls ? h.tls.get() : nullptr,
                                                  std::move(deps)));
    h.ports.http = h.http->port();
  }

  h.pool->Start();
  if (h.http) {
    h.http->Start();
    log->info("http.listen listening on port {}", h.ports.http);
  }
  for (auto& l : h.listeners) {
    l->Start();
    log->info("{} listening on port {}", l->name(), l->port());
  }
  boost::asio::post(h.pool->context(0), [u = h.store_usage.get(), &ctx = h.pool->context(0)] {
    u->Start(ctx, kStoreUsageRefresh);
  });
  if (c.mqtt.sys_interval_s > 0) {
    h.sys = std::make_unique<mqtt::SysPublisher>(*h.broker, h.pool->context(0), VERBUND_VERSION,
                                                 std::chrono::seconds(c.mqtt.sys_interval_s));
    boost::asio::post(h.pool->context(0), [s = h.sys.get()] { s->Start(); });
  }
  if (c.demo.enabled) {
    // The demo publishes in the default tenant's namespace, where anonymous clients are.
    h.demo = std::make_unique<DemoSource>(c.demo, h.pool->context(0), h.broker.get(),
                                          c.ingest.tenant + '/');
    boost::asio::post(h.pool->context(0), [d = h.demo.get()] { d->Start(); });
  }
  return Status::OK();
}

Status Hub::StartAudit() {
  Impl& h = *impl_;
  const Config& c = h.config;
  audit::AuditLogOptions ao;
  ao.dir = c.data_dir + "/audit";
  ao.fsync = c.audit.fsync.value_or(c.storage.fsync);
  ao.fsync_interval_ms = c.storage.fsync_interval_ms;
  ASSIGN_OR_RETURN(h.audit_log, audit::AuditLog::Open(ao));
  ASSIGN_OR_RETURN(audit::SigningKey key, audit::SigningKey::LoadOrCreate(ao.dir));
  audit::SthSignerOptions so;
  so.dir = ao.dir;
  so.interval_ms = c.audit.sth_interval_ms;
  ASSIGN_OR_RETURN(h.audit_signer, audit::SthSigner::Open(so, h.audit_log.get(), std::move(key)));
  h.audit_signer->Start();
  h.audit_recorder = std::make_unique<AuditRecorder>(h.audit_log.get(), nullptr);
  const audit::PublicKey& pub = h.audit_signer->public_key();
  audit::Hasher hasher;
  const audit::Hash fingerprint =
      hasher.Plain(std::string_view(reinterpret_cast<const char*>(pub.raw.data()), pub.raw.size()));
  static const char* kPolicies[] = {"always", "interval", "never"};
  Logger("hub")->info(
      "audit log {}: {} entries, fsync {}; public key (ed25519) {}, fingerprint SHA256:{}", ao.dir,
      h.audit_log->size(), kPolicies[static_cast<int>(ao.fsync)], pub.Hex(),
      audit::HashHex(fingerprint));
  return Status::OK();
}

void Hub::StopAudit() {
  Impl& h = *impl_;
  if (!h.audit_log) return;
  // Everything the broker and HTTP reported is queued: sync it and sign a final tree head.
  if (h.audit_signer) {
    h.audit_signer->Stop();
    Status st = h.audit_signer->MaybeSign();
    if (!st.ok()) Logger("hub")->error("audit: final tree head: {}", st.ToString());
  }
  h.audit_recorder.reset();
  h.audit_signer.reset();
  h.audit_log.reset();  // writes and syncs what is queued
}

void Hub::RunUntilSignal() {
  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int sig) {
    Logger("hub")->info("signal {} received: shutting down", sig);
  });
  signals_ctx.run();
  Stop();
}

void Hub::Stop() {
  Impl& h = *impl_;
  if (h.stopped || !h.pool) return;
  h.stopped = true;
  if (h.directory && h.directory_listener) h.directory->RemoveListener(h.directory_listener);
  for (auto& l : h.listeners) l->Stop();
  {
    std::promise<void> done;
    boost::asio::post(h.pool->context(0), [&] {
      if (h.demo) h.demo->Stop();
      if (h.sys) h.sys->Stop();
      if (h.store_usage) h.store_usage->Stop();
      done.set_value();
    });
    done.get_future().wait();
  }
  if (h.http) h.http->Stop();
  if (h.broker) h.broker->Shutdown();
  h.pool->Stop();
  // Everything acknowledged is in the WAL; drain what is queued and seal the head.
  if (h.pipeline) h.pipeline->Drain();
  h.pipeline.reset();
  // /write answers still waiting for the pipeline report to the audit log: close it after.
  StopAudit();
  if (h.engine) {
    Status st = h.engine->Flush();
    if (!st.ok()) Logger("hub")->error("storage flush at shutdown: {}", st.ToString());
  }
  h.engine.reset();
  Logger("hub")->info("stopped");
}

}  // namespace verbund::server
