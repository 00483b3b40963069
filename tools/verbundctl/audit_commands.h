// `verbundctl audit ...`: offline commands on an audit directory or an exported log.
#pragma once

#include <CLI/CLI.hpp>

namespace verbund::ctl {

// Adds the `audit` command and its subcommands to `app`. Each subcommand's callback stores its
// exit code in *exit_code.
void AddAuditCommands(CLI::App& app, int* exit_code);

}  // namespace verbund::ctl
