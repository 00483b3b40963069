// verbund: the hub's server binary.
//   verbund [--config FILE]     run (embedded defaults without a file; data under ./verbund-data)
//   verbund --version
//   verbund --hash-password     read a password on stdin, print its scrypt hash for password_file
//   verbund --init-admin [NAME] create the first operator (default `admin`), print its API token
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "core/config.h"
#include "core/logging.h"
#include "keys/password.h"
#include "server/hub.h"

#ifndef VERBUND_VERSION
#define VERBUND_VERSION "0.0.0"
#endif

namespace {

// What a newcomer can type next, with the ports actually bound.
void PrintWelcome(const verbund::server::Hub::Ports& p, bool demo, const std::string& db,
                  bool http_auth) {
  std::cout << "\nVerbund is running.";
  if (demo) std::cout << " The demo source publishes factory/#, fleet/# and meter/# every second.";
  std::cout << "\n";
  if (p.mqtt) {
    std::cout << "  watch readings:  mosquitto_sub -h localhost -p " << p.mqtt << " -t 'factory/#' -v\n"
              << "  publish one:     mosquitto_pub -h localhost -p " << p.mqtt
              << " -q 1 -t 'factory/munich/line9/lathe' -m '{\"temperature\":71.5}'\n";
  }
  if (p.ws) std::cout << "  MQTT over WebSocket: ws://localhost:" << p.ws << "/mqtt\n";
  if (p.http) {
    std::cout << "  web console:     http://localhost:" << p.http << "/console/"
              << (http_auth ? " (log in as tenant/name)\n" : " (open demo hub: no login)\n");
    std::cout << "  query:           influx -host localhost -port " << p.http << " -database " << db
              << " -execute 'SELECT mean(temperature) FROM factory WHERE time > now() - 5m GROUP BY time(1m), machine'\n"
              << "  or:              curl -G localhost:" << p.http << "/query --data-urlencode db=" << db
              << " --data-urlencode 'q=SHOW MEASUREMENTS'\n"
              << "  metrics:         curl localhost:" << p.http << "/metrics\n";
    if (http_auth) {
      std::cout
          << "  HTTP needs credentials ([http] auth = true): curl -H 'Authorization: Token ...',\n"
             "  influx -username/-password. The first operator's token: `verbund --init-admin`\n"
             "  (with the hub stopped); tenants and users: verbundctl (doc/api.md).\n";
    }
  }
  std::cout << "Stop with Ctrl-C.\n" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Verbund: secure, sovereign industrial data hub"};
  std::string config_path;
  bool version = false;
  bool hash_password = false;
  app.add_option("-c,--config", config_path, "TOML configuration file");
  app.add_flag("--version", version, "print the version and exit");
  app.add_flag("--hash-password", hash_password,
               "read a password from stdin and print the hash for mqtt.password_file");
  std::string init_admin;
  app.add_option("--init-admin", init_admin,
                 "create the first operator _hub/NAME and print its API token once (run it while "
                 "the hub is stopped)")
      ->expected(0, 1)
      ->default_str("admin");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::cout << "verbund " << VERBUND_VERSION << "\n";
    return 0;
  }
  if (hash_password) {
    std::string password;
    std::getline(std::cin, password);
    std::cout << verbund::keys::HashPassword(password) << "\n";
    return 0;
  }

  auto config = config_path.empty() ? verbund::ParseConfig("")
                                    : verbund::LoadConfigFile(config_path);
  if (!config.ok()) {
    std::cerr << "verbund: bad configuration: " << config.status().message() << "\n";
    return 2;
  }
  if (app.count("--init-admin") > 0) {
    const std::string name = init_admin.empty() ? "admin" : init_admin;
    auto token = verbund::server::InitAdmin(*config, name);
    if (!token.ok()) {
      std::cerr << "verbund: --init-admin: " << token.status().message() << "\n";
      return token.status().code() == verbund::StatusCode::kAlreadyExists ? 3 : 1;
    }
    std::cout << "operator _hub/" << name << " created. Its API token (shown once, keep it safe):\n"
              << *token << "\n"
              << "Use it with verbundctl --token, or as `Authorization: Token ...` over HTTP.\n";
    return 0;
  }
  verbund::InitLogging(config->log_level, config->log_format == "json"
                                              ? verbund::LogFormat::kJson
                                              : verbund::LogFormat::kText);
  auto log = verbund::Logger("hub");
  log->info("verbund {} starting; data in {}", VERBUND_VERSION, config->data_dir);

  bool demo = config->demo.enabled;
  bool http_auth = config->http.auth;
  std::string tenant = config->ingest.tenant;
  verbund::server::Hub hub(std::move(*config));
  verbund::Status st = hub.Start();
  if (!st.ok()) {
    log->critical("cannot start: {}", st.ToString());
    std::cerr << "verbund: cannot start: " << st.ToString() << "\n";
    // Bad certificates or addresses are configuration errors.
    return st.code() == verbund::StatusCode::kInvalidArgument ? 2 : 1;
  }
  PrintWelcome(hub.ports(), demo, tenant, http_auth);
  hub.RunUntilSignal();
  return 0;
}
