#include "audit/sth.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "audit/file_io.h"
#include "audit/log.h"
#include "audit/record.h"
#include "core/coding.h"
#include "core/logging.h"

namespace verbund::audit {
namespace {

std::string OpenSslError(std::string_view what) { return std::string(what) + " failed (OpenSSL)"; }

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string Hex(const uint8_t* p, size_t n) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(p), n));
}

bool FromHex(std::string_view hex, uint8_t* out, size_t n) {
  std::string bytes;
  if (hex.size() != 2 * n || !HexDecode(hex, &bytes)) return false;
  std::memcpy(out, bytes.data(), n);
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string SthSignedBytes(const SignedTreeHead& sth) {
  std::string out(kSthContext, sizeof kSthContext);  // with the terminating NUL
  out.push_back(static_cast<char>(sth.version));
  PutFixed64(&out, sth.tree_size);
  PutFixed64(&out, static_cast<uint64_t>(sth.timestamp_ns));
  out.append(HashBytes(sth.root));
  return out;
}

std::string EncodeSth(const SignedTreeHead& sth) {
  std::string out;
  out.push_back(static_cast<char>(sth.version));
  PutFixed64(&out, sth.tree_size);
  PutFixed64(&out, static_cast<uint64_t>(sth.timestamp_ns));
  out.append(HashBytes(sth.root));
  out.append(reinterpret_cast<const char*>(sth.signature.data()), sth.signature.size());
  return out;
}

Result<SignedTreeHead> DecodeSth(std::string_view bytes) {
  if (bytes.size() != kSthBytes) {
    return Malformed("signed tree head of " + std::to_string(bytes.size()) +
                     " bytes, expected 113");
  }
  SignedTreeHead sth;
  sth.version = static_cast<uint8_t>(bytes[0]);
  if (sth.version != kSthVersion) {
    return Malformed("signed tree head version " + std::to_string(sth.version) + " unknown");
  }
  sth.tree_size = DecodeFixed64(bytes.data() + 1);
  sth.timestamp_ns = static_cast<int64_t>(DecodeFixed64(bytes.data() + 9));
  std::memcpy(sth.root.data(), bytes.data() + 17, 32);
  std::memcpy(sth.signature.data(), bytes.data() + 49, 64);
  return sth;
}

std::string SthToJson(const SignedTreeHead& sth) {
  nlohmann::ordered_json j;
  j["version"] = sth.version;
  j["tree_size"] = sth.tree_size;
  j["timestamp_ns"] = sth.timestamp_ns;
  j["root"] = HashHex(sth.root);
  j["signature"] = Hex(sth.signature.data(), sth.signature.size());
  return j.dump();
}

Result<SignedTreeHead> SthFromJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Malformed("signed tree head: not a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json* {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  const nlohmann::json* version = field("version");
  const nlohmann::json* size = field("tree_size");
  const nlohmann::json* ts = field("timestamp_ns");
  const nlohmann::json* root = field("root");
  const nlohmann::json* sig = field("signature");
  if (version == nullptr || !version->is_number_unsigned() || size == nullptr ||
      !size->is_number_unsigned() || ts == nullptr || !ts->is_number_integer() || root == nullptr ||
      !root->is_string() || sig == nullptr || !sig->is_string()) {
    return Malformed("signed tree head: needs version, tree_size, timestamp_ns, root, signature");
  }
  SignedTreeHead sth;
  if (version->get<uint64_t>() != kSthVersion) return Malformed("signed tree head version unknown");
  sth.tree_size = size->get<uint64_t>();
  sth.timestamp_ns = ts->get<int64_t>();
  std::optional<Hash> r = HashFromHex(root->get<std::string>());
  if (!r) return Malformed("signed tree head: root is not 64 hex digits");
  sth.root = *r;
  if (!FromHex(sig->get<std::string>(), sth.signature.data(), sth.signature.size())) {
    return Malformed("signed tree head: signature is not 128 hex digits");
  }
  return sth;
}

std::string PublicKey::Hex() const { return audit::Hex(raw.data(), raw.size()); }

std::string PublicKey::Pem() const {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  if (pkey == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio != nullptr && PEM_write_bio_PUBKEY(bio, pkey) == 1) out = BioToString(bio);
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return out;
}

Result<PublicKey> PublicKey::Parse(std::string_view text) {
  text = Trim(text);
  PublicKey key;
  if (FromHex(text, key.raw.data(), key.raw.size())) return key;
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  if (bio == nullptr) return Internal(OpenSslError("BIO_new_mem_buf"));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    return InvalidArgument("public key is neither 64 hex digits nor a PEM PUBLIC KEY");
  }
  size_t len = key.raw.size();
  const bool ok = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 &&
                  EVP_PKEY_get_raw_public_key(pkey, key.raw.data(), &len) == 1 && len == 32;
  EVP_PKEY_free(pkey);
  if (!ok) return InvalidArgument("public key is not an Ed25519 key");
  return key;
}

Status VerifySth(const SignedTreeHead& sth, const PublicKey& key) {
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.raw.data(), key.raw.size());
  if (pkey == nullptr) return InvalidArgument("not an Ed25519 public key");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string msg = SthSignedBytes(sth);
  const bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx, sth.signature.data(), sth.signature.size(),
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  if (!ok) return Corruption("signed tree head signature does not verify");
  return Status::OK();
}

Result<SigningKey> SigningKey::Wrap(evp_pkey_st* pkey) {
  SigningKey key;
  key.pkey_ = pkey;
  size_t len = key.public_.raw.size();
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(pkey, key.public_.raw.data(), &len) != 1 || len != 32) {
    return InvalidArgument("signing key is not an Ed25519 key");
  }
  return key;
}

Result<SigningKey> SigningKey::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) return Internal(OpenSslError("Ed25519 key generation"));
  return Wrap(pkey);
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Internal(OpenSslError("BIO_new_mem_buf"));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return Corruption("signing key is not a PEM PRIVATE KEY");
  return Wrap(pkey);
}

Result<SigningKey> SigningKey::Load(const std::string& dir) {
  const std::string path = dir + "/" + kSigningKeyFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound("no signing key " + path);
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  Result<SigningKey> key = FromPem(file.bytes());
  if (!key.ok()) return key.status().Annotate(path);
  return key;
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::string& dir) {
  Result<SigningKey> loaded = Load(dir);
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;
  RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(SigningKey key, Generate());
  RETURN_IF_ERROR(WriteFileDurably(dir + "/" + kSigningKeyFile, key.Pem(), 0600));
  return key;
}

SigningKey::SigningKey(SigningKey&& o) noexcept
    : pkey_(std::exchange(o.pkey_, nullptr)), public_(o.public_) {}

SigningKey& SigningKey::operator=(SigningKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    pkey_ = std::exchange(o.pkey_, nullptr);
    public_ = o.public_;
  }
  return *this;
}

SigningKey::~SigningKey() { EVP_PKEY_free(pkey_); }

std::string SigningKey::Pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio != nullptr &&
      PEM_write_bio_PrivateKey(bio, pkey_, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    out = BioToString(bio);
  }
  BIO_free(bio);
  return out;
}

Status SigningKey::Sign(SignedTreeHead* sth) const {
  const std::string msg = SthSignedBytes(*sth);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = sth->signature.size();
  const bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_) == 1 &&
      EVP_DigestSign(ctx, sth->signature.data(), &len,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1 &&
      len == 64;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Internal(OpenSslError("Ed25519 signing"));
  return Status::OK();
}

SthSigner::SthSigner(const SthSignerOptions& options, AuditLog* log, SigningKey key)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
      log_(log),
      key_(std::move(key)) {}

Result<std::unique_ptr<SthSigner>> SthSigner::Open(const SthSignerOptions& options, AuditLog* log,
                                                   SigningKey key) {
  std::unique_ptr<SthSigner> signer(new SthSigner(options, log, std::move(key)));
  RETURN_IF_ERROR(signer->Load());
  if (!signer->history_.empty()) {
    const SignedTreeHead& latest = signer->history_.back();
    RETURN_IF_ERROR(VerifySth(latest, signer->public_key())
                        .Annotate("newest signed tree head (is signing.key the hub's key?)"));
    if (latest.tree_size > log->size()) {
      return Corruption("audit log has " + std::to_string(log->size()) +
                        " entries but a signed tree head covers " +
                        std::to_string(latest.tree_size));
    }
    ASSIGN_OR_RETURN(Hash root, log->Root(latest.tree_size));
    if (root != latest.root) {
      return Corruption("audit log's root at size " + std::to_string(latest.tree_size) +
                        " differs from its signed tree head");
    }
  }
  return signer;
}

Result<std::vector<SignedTreeHead>> ReadSthLog(const std::string& dir, uint64_t* valid_bytes) {
  const std::string path = dir + "/" + kSthLogFile;
  std::vector<SignedTreeHead> out;
  uint64_t valid = 0;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
    auto fn = [&](uint64_t offset, const Record& r) -> Status {
      if (offset == 0) {
        if (r.type != RecordType::kSthLogHeader) return Corruption("missing sth.log header");
        return DecodeSthLogHeader(r.payload);
      }
      if (r.type != RecordType::kTreeHead) return Corruption("unexpected record in sth.log");
      Result<SignedTreeHead> sth = DecodeSth(r.payload);
      if (!sth.ok()) return Corruption(sth.status().message());
      out.push_back(*sth);
      return Status::OK();
    };
    RETURN_IF_ERROR(
        ScanRecords(file.bytes(), kSthLogFile, /*tolerate_torn_tail=*/true, fn, &valid));
  }
  if (valid_bytes != nullptr) *valid_bytes = valid;
  return out;
}

Status SthSigner::Load() {
  const std::string path = options_.dir + "/" + kSthLogFile;
  uint64_t valid = 0;
  ASSIGN_OR_RETURN(history_, ReadSthLog(options_.dir, &valid));
  std::error_code ec;
  const uint64_t size =
      std::filesystem::exists(path, ec) ? std::filesystem::file_size(path, ec) : 0;
  if (valid < size && ::truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
    return ErrnoStatus("truncate", path);
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return ErrnoStatus("open", path);
  if (valid == 0) {
    std::string header;
    AppendRecord(&header, RecordType::kSthLogHeader, EncodeSthLogHeader());
    RETURN_IF_ERROR(WriteAll(fd_, header, path));
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path);
    RETURN_IF_ERROR(SyncDir(options_.dir));
  }
  return Status::OK();
}

SthSigner::~SthSigner() {
  Stop();
  if (fd_ >= 0) ::close(fd_);
}

Result<SignedTreeHead> SthSigner::SignNow() {
  std::lock_guard sign_lock(sign_mu_);
  RETURN_IF_ERROR(log_->Sync());
  const AuditLog::TreeHead head = log_->SyncedHead();
  const std::optional<SignedTreeHead> latest = Latest();
  SignedTreeHead sth;
  sth.tree_size = head.size;
  sth.root = head.root;
  sth.timestamp_ns = clock_->NowNs();
  if (latest) {
    if (head.size < latest->tree_size) return Internal("audit log shrank below its tree head");
    sth.timestamp_ns = std::max(sth.timestamp_ns, latest->timestamp_ns);
  }
  RETURN_IF_ERROR(key_.Sign(&sth));
  std::string record;
  AppendRecord(&record, RecordType::kTreeHead, EncodeSth(sth));
  const std::string path = options_.dir + "/" + kSthLogFile;
  RETURN_IF_ERROR(WriteAll(fd_, record, path));
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path);
  std::lock_guard lock(mu_);
  history_.push_back(sth);
  return sth;
}

Status SthSigner::MaybeSign() {
  const std::optional<SignedTreeHead> latest = Latest();
  if (latest && latest->tree_size == log_->size()) return Status::OK();
  return SignNow().status();
}

void SthSigner::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void SthSigner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SthSigner::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms), [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Status s = MaybeSign();
    if (!s.ok()) Logger("audit")->warn("signing tree head failed error=\"{}\"", s.ToString());
    lock.lock();
  }
}

std::optional<SignedTreeHead> SthSigner::Latest() const {
  std::lock_guard lock(mu_);
  if (history_.empty()) return std::nullopt;
  return history_.back();
}

std::vector<SignedTreeHead> SthSigner::History() const {
  std::lock_guard lock(mu_);
  return history_;
}

}  // namespace verbund::audit
