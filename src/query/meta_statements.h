// Runs one statement: SELECT through select_runner, and the catalog and administrative
// statements (SHOW DATABASES/MEASUREMENTS/TAG KEYS/TAG VALUES/FIELD KEYS/SERIES/RETENTION
// POLICIES, CREATE DATABASE, DELETE), one function per statement. Internal to src/query.
#pragma once

#include "query/ast.h"
#include "query/rows.h"
#include "query/select_runner.h"

namespace verbund::query {

// `ctx.db` is the request's database; a statement naming its own (ON db, db.. in FROM)
// overrides it.
StatementResult ExecuteStatement(StatementContext ctx, const Statement& st);

}  // namespace verbund::query
