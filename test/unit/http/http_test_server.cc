// Test-only executable: a real storage::Engine, ingest::Pipeline, query::Executor and
// http::Server on an IoPool, for the integration tests in test/integration/http before the hub
// serves HTTP itself.
//
//   http_test_server --data DIR [--listen 127.0.0.1:0] [--max-body N] [--tls CERT KEY]
//
// Prints "listening on port N" on stdout once ready; stops on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "core/logging.h"
#include "http/databases.h"
#include "http/server.h"
#include "ingest/pipeline.h"
#include "keys/file_key_provider.h"
#include "net/io_pool.h"
#include "net/tls.h"
#include "query/executor.h"
#include "storage/engine.h"

using namespace verbund;

int main(int argc, char** argv) {
  std::string data_dir;
  HttpConfig http;
  http.listen = "127.0.0.1:0";
  TlsConfig tls_config;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") data_dir = next();
    else if (a == "--listen") http.listen = next();
    else if (a == "--max-body") http.max_body_bytes = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--tls") {
      tls_config.cert = next();
      tls_config.key = next();
      http.tls = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::fprintf(stderr, "--data DIR is required\n");
    return 2;
  }
  InitLogging("warn");
  auto keys = keys::FileKeyProvider::Open(data_dir + "/keys/local.key");
  if (!keys.ok()) {
    std::fprintf(stderr, "keys: %s\n", keys.status().ToString().c_str());
    return 1;
  }
  storage::EngineOptions eo;
  eo.dir = data_dir + "/storage";
  eo.keys = keys->get();
  auto engine = storage::Engine::Open(eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  auto registry = http::DatabaseRegistry::Open(data_dir + "/http/databases", engine->get());
  if (!registry.ok()) {
    std::fprintf(stderr, "databases: %s\n", registry.status().ToString().c_str());
    return 1;
  }
  ingest::Pipeline pipeline(engine->get(), ingest::PipelineOptions{});
  query::ExecutorOptions xo;
  xo.list_databases = (*registry)->ListFn();
  xo.create_database = (*registry)->CreateFn();
  query::Executor executor(engine->get(), xo);

  std::shared_ptr<boost::asio::ssl::context> tls;
  if (http.tls) {
    auto t = net::MakeServerTlsContext(tls_config);
    if (!t.ok()) {
      std::fprintf(stderr, "tls: %s\n", t.status().ToString().c_str());
      return 1;
    }
    tls = *t;
  }
  net::IoPool pool(2);
  http::ServerDeps deps;
  deps.engine = engine->get();
  deps.pipeline = &pipeline;
  deps.executor = &executor;
  deps.list_databases = (*registry)->ListFn();
  deps.create_database = (*registry)->CreateFn();
  deps.database_exists = (*registry)->ExistsFn();
  deps.data_dir = data_dir;
  deps.read_timeout = std::chrono::milliseconds(5000);
  auto server = http::Server::Create(http, &pool, tls.get(), std::move(deps));
  if (!server.ok()) {
    std::fprintf(stderr, "http: %s\n", server.status().ToString().c_str());
    return 1;
  }
  pool.Start();
  (*server)->Start();
  std::printf("listening on port %u\n", (*server)->port());
  std::fflush(stdout);

  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_ctx.run();

  (*server)->Stop();
  pool.Stop();
  pipeline.Drain();
  return 0;
}
