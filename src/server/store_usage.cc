#include "server/store_usage.h"

#include <string>
#include <unordered_map>

#include "security/names.h"

namespace verbund::server {

Status StoreUsage::AdmitSeries(std::string_view database, size_t n) const {
  std::optional<std::string_view> tenant = security::TenantOfDatabase(database);
  if (!tenant) return Status::OK();
  auto snap = directory_->snapshot();
  if (snap->TenantQuotas(*tenant).value_or(security::Quotas{}).max_series == 0) {
    return Status::OK();
  }
  // Exact: the engine keeps running totals, and series are created one call at a time.
  uint64_t series = 0;
  for (const storage::DatabaseUsage& u : engine_->Usage()) {
    if (security::TenantOwnsDatabase(*tenant, u.name)) series += u.series;
  }
  return security::Usage::CheckSeries(*snap, *tenant, series, n);
}

Status StoreUsage::AdmitWrite(std::string_view database) const {
  std::optional<std::string_view> tenant = security::TenantOfDatabase(database);
  return tenant ? usage_->CheckStored(*tenant) : Status::OK();
}

void StoreUsage::Refresh() {
  std::unordered_map<std::string, security::Usage::TenantStored> by_tenant;
  for (const storage::DatabaseUsage& u : engine_->Usage()) {
    std::optional<std::string_view> tenant = security::TenantOfDatabase(u.name);
    if (!tenant) continue;
    security::Usage::TenantStored& t = by_tenant[std::string(*tenant)];
    t.series += u.series;
    t.stored_bytes += u.stored_bytes;
  }
  usage_->SetStored(std::move(by_tenant), *directory_->snapshot());
}

void StoreUsage::Start(boost::asio::io_context& ctx, std::chrono::milliseconds interval) {
  timer_ = std::make_unique<boost::asio::steady_timer>(ctx);
  interval_ = interval;
  Refresh();
  Schedule();
}

void StoreUsage::Schedule() {
  timer_->expires_after(interval_);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !timer_) return;
    Refresh();
    Schedule();
  });
}

void StoreUsage::Stop() {
  if (!timer_) return;
  timer_->cancel();
  timer_.reset();
}

}  // namespace verbund::server
