// `verbundctl tenant|principal|credential|rule|session ...`: the hub's admin API
// (/api/v1/admin, doc/api.md "Admin API") over HTTP, with `Authorization: Token <--token>`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace verbund::ctl {

// Adds the admin commands to `app`. `server` and `token` are read when a command runs (after
// parsing); each command's callback stores its exit code in *exit_code.
void AddAdminCommands(CLI::App& app, const std::string* server, const std::string* token,
                      int* exit_code);

}  // namespace verbund::ctl
