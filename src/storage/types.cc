#include "storage/types.h"

#include <algorithm>

namespace verbund::storage {

void SeriesKey::Normalize() {
  std::stable_sort(tags.begin(), tags.end(),
                   [](const Tag& a, const Tag& b) { return a.first < b.first; });
  // Keys must be unique: the last value given for a key wins.
  std::vector<Tag> out;
  out.reserve(tags.size());
  for (auto& t : tags) {
    if (!out.empty() && out.back().first == t.first) {
      out.back().second = std::move(t.second);
    } else {
      out.push_back(std::move(t));
    }
  }
  tags = std::move(out);
}

}  // namespace verbund::storage
