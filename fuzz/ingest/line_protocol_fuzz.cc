// Fuzzes the line protocol parser: any body must parse without crashing, every point must carry
// at least one field and a non-empty measurement, and every string_view must stay readable.
// The body is also parsed with series reuse off: the fast path for repeated series texts must
// give exactly what the general path gives (points, values bit for bit, errors). And the pieces
// SplitLines cuts the body into must parse, one after the other, to what the whole body parses to.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../test/unit/ingest/parsed_batch_text.h"
#include "ingest/line_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  verbund::ingest::ParseOptions options;
  options.now = 1'700'000'000'000'000'000;
  options.precision = size > 0 ? static_cast<verbund::ingest::Precision>(data[0] % 6)
                               : verbund::ingest::Precision::kNanosecond;
  options.max_line_bytes = 4096;
  verbund::ingest::ParsedBatch batch = verbund::ingest::ParseLineProtocol(body, options);
  size_t touched = 0;
  for (const auto& p : batch.points()) {
    if (p.measurement.empty() || p.fields.empty()) std::abort();
    if (p.series_index >= batch.series_count()) std::abort();
    touched += p.measurement.size();
    for (const auto& t : p.tags) touched += t.key.size() + t.value.size();
    for (const auto& f : p.fields) {
      if (f.key.empty()) std::abort();
      touched += f.key.size() + f.s.size();
    }
  }
  (void)batch.ErrorText();
  options.reuse_series = false;
  if (verbund::ingest::ParsedBatchText(batch) !=
      verbund::ingest::ParsedBatchText(verbund::ingest::ParseLineProtocol(body, options))) {
    std::abort();
  }
  options.reuse_series = true;
  std::string points, errors;
  size_t covered = 0;
  for (std::string_view piece : verbund::ingest::SplitLines(body, 4, 1 + size % 61)) {
    if (piece.data() != body.data() + covered) std::abort();
    covered += piece.size();
    verbund::ingest::ParsedBatch b = verbund::ingest::ParseLineProtocol(piece, options);
    points += verbund::ingest::ParsedPointsText(b, false);
    errors += verbund::ingest::ParsedErrorsText(b, false);
  }
  if (covered != body.size() || points != verbund::ingest::ParsedPointsText(batch, false) ||
      errors != verbund::ingest::ParsedErrorsText(batch, false)) {
    std::abort();
  }
  return touched == SIZE_MAX ? 1 : 0;
}
