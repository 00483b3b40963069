#include "http/server.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/logging.h"
#include "http/databases.h"
#include "net/listener.h"

namespace verbund::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
// Beast reads at most the read buffer's free capacity per receive (and never more than 64 KiB),
// so a buffer left at the few hundred bytes a header needed would take a body in ~500-byte
// receives (a syscall, an epoll wait and a timer re-arm each). A request announcing a larger
// body gets this much room for the time it is read.
constexpr size_t kBodyReadBytes = 64 * 1024;

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0x0fff) | 0x1000,
                static_cast<unsigned>((b >> 48) & 0x3fff) | 0x8000,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string HttpDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

template <class Fields>
void CommonHeaders(Fields& f) {
  std::string id = NewRequestId();
  f.set("X-Influxdb-Version", std::string(kInfluxVersion));
  f.set("X-Influxdb-Build", "OSS");
  f.set("Request-Id", id);
  f.set("X-Request-Id", id);
  f.set(bhttp::field::date, HttpDate());
}

}  // namespace

struct Server::Impl {
  HttpConfig config;
  net::IoPool* pool = nullptr;
  asio::ssl::context* tls = nullptr;
  std::unique_ptr<DatabaseRegistry> own_databases;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<Api> api;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> backoff;
  std::unique_ptr<net::ConnectionLimit> limit;
  std::chrono::milliseconds timeout{30000};
  uint16_t port = 0;
  std::atomic<bool> stopped{false};
  bool started = false;

  // Live sessions, so Stop can close them and wait until none is left.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t next_session = 0;                                      // guarded by mu
  std::unordered_map<uint64_t, std::function<void()>> closers;   // guarded by mu
  size_t live = 0;                                                // guarded by mu

  void Accept();
  template <class Stream>
  void StartSession(tcp::socket socket, net::ConnectionLease lease);
};

namespace {

// One connection: reads a request, hands it to the Api, writes the answer, repeats.
// Lives on its socket's I/O thread; every member is touched from that thread only.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server::Impl* server, Stream stream, net::ConnectionLease lease, uint64_t id)
      : server_(server), stream_(std::move(stream)), lease_(std::move(lease)), id_(id) {}

  ~Session() {
    if (chunks_) chunks_->Close();
    // Give the connection slot back now: once `live` drops below, Stop() may return and the
    // server (and its ConnectionLimit) may be gone before the members are destroyed.
    lease_ = net::ConnectionLease();
    server_->api->metrics().connections_active.Add(-1);
    std::lock_guard lock(server_->mu);
    server_->closers.erase(id_);
    --server_->live;
    server_->cv.notify_all();
  }

  void Run() {
    beast::error_code ec;
    tcp::endpoint remote = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      const std::string ip = remote.address().to_string();
      peer_ =
          (remote.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(remote.port());
    }
    if constexpr (kTls) {
      Lowest().expires_after(server_->timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

  auto executor() { return beast::get_lowest_layer(stream_).get_executor(); }

  // Closes the socket; pending operations complete with errors and release the session.
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (chunks_) {
      chunks_->Close();
      chunks_.reset();
    }
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(server_->config.max_body_bytes);
    Lowest().expires_after(server_->timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    auto cl = parser_->content_length();
    if (cl && *cl > server_->config.max_body_bytes) return SendTooLarge();
    if (!cl || *cl > buffer_.capacity() - buffer_.size()) {
      buffer_.reserve(buffer_.size() +
                      std::min<uint64_t>(cl.value_or(kBodyReadBytes), kBodyReadBytes));
    }
    auto expect = req[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      continue_ = std::make_unique<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *continue_,
                         [self = this->shared_from_this()](beast::error_code ec, size_t) {
                           if (ec) return self->Close();
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(server_->timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->OnRead(ec);
                      });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return SendTooLarge();
    if (ec == bhttp::error::header_limit) {
      keep_alive_ = false;
      return Send(ErrorResponse(431, "request header fields too large"));
    }
    if (ec == beast::error::timeout && request_started()) {
      keep_alive_ = false;
      return Send(ErrorResponse(408, "request timeout"));
    }
    if (ec.category() == beast::error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      keep_alive_ = false;
      return Send(ErrorResponse(400, "bad request: " + ec.message()));
    }
    Close();
  }

  bool request_started() const { return buffer_.size() > 0 || (parser_ && parser_->is_header_done()); }

  static Response ErrorResponse(unsigned status, std::string message) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = InfluxError(message) + "\n";
    return r;
  }

  void SendTooLarge() {
    keep_alive_ = false;  // the unread body makes the stream unusable
    beast::string_view target = parser_->get().target();
    std::string_view path(target.data(), target.size());
    server_->api->metrics().Count(RouteOf(path.substr(0, path.find('?'))), 413);
    Send(ErrorResponse(413, "Request Entity Too Large"));
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    Lowest().expires_never();
    auto msg = parser_->release();
    if (buffer_.size() == 0 && buffer_.capacity() > kBodyReadBytes / 4) buffer_.shrink_to_fit();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version() == 10 ? 10 : 11;
    head_ = msg.method() == bhttp::verb::head;
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.content_type = std::string(msg[bhttp::field::content_type]);
    req.content_encoding = std::string(msg[bhttp::field::content_encoding]);
    req.body = std::move(msg.body());
    req.peer = peer_;
    req.authorization = std::string(msg[bhttp::field::authorization]);
    req.cookie = std::string(msg[bhttp::field::cookie]);
    req.csrf_token = std::string(msg["X-CSRF-Token"]);
    req.if_none_match = std::string(msg[bhttp::field::if_none_match]);
    req.secure = kTls;
    parser_.reset();
    // The reply may be kept by its caller after it ran (the pipeline keeps its done callbacks
    // until its next batch), so it holds the session only until it is called.
    auto holder = std::make_shared<std::shared_ptr<Session>>(this->shared_from_this());
    server_->api->Handle(std::move(req), [holder](Response r) {
      std::shared_ptr<Session> self = std::move(*holder);
      if (!self) return;
      auto executor = self->Lowest().get_executor();
      asio::post(executor, [self = std::move(self), r = std::move(r)]() mutable {
        self->Send(std::move(r));
      });
    });
  }

  void Send(Response r) {
    if (closed_) return;
    if (r.stream) return SendChunked(std::move(r));
    auto res = std::make_unique<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), version_);
    CommonHeaders(*res);
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    size_t length = r.body.size();
    if (!head_) res->body() = std::move(r.body);
    res->prepare_payload();
    if (head_ && r.status != 204 && r.status != 304) res->content_length(length);
    response_ = std::move(res);
    Lowest().expires_after(server_->timeout);
    if (head_) {
      serializer_ = std::make_unique<bhttp::response_serializer<bhttp::string_body>>(*response_);
      bhttp::async_write_header(stream_, *serializer_,
                                [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                  self->OnWritten(ec);
                                });
      return;
    }
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](beast::error_code ec, size_t) {
                         self->OnWritten(ec);
                       });
  }

  void OnWritten(beast::error_code ec) {
    response_.reset();
    serializer_.reset();
    chunk_head_.reset();
    chunk_serializer_.reset();
    if (ec || !keep_alive_) return Close();
    ReadHeader();
  }

  void SendChunked(Response r) {
    chunks_ = std::move(r.stream);
    // HTTP/1.0 has no chunked encoding: the body then runs until the connection closes.
    if (version_ == 10) keep_alive_ = false;
    chunk_head_ = std::make_unique<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(r.status), version_);
    CommonHeaders(*chunk_head_);
    if (!r.content_type.empty()) chunk_head_->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) chunk_head_->set(k, v);
    chunk_head_->keep_alive(keep_alive_);
    if (version_ == 11) chunk_head_->chunked(true);
    chunk_serializer_ =
        std::make_unique<bhttp::response_serializer<bhttp::empty_body>>(*chunk_head_);
    // The notify callback keeps the session alive while it waits for the producer (no socket
    // operation is pending then). The cycle ends when the stream is taken (last chunk) or closed.
    chunks_->SetNotify([self = this->shared_from_this()] {
      asio::post(self->Lowest().get_executor(), [self] { self->PumpChunks(); });
    });
    writing_ = true;
    Lowest().expires_after(server_->timeout);
    bhttp::async_write_header(stream_, *chunk_serializer_,
                              [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                self->writing_ = false;
                                if (ec) return self->Close();
                                self->PumpChunks();
                              });
  }

  void PumpChunks() {
    if (closed_ || writing_ || !chunks_) return;
    bool finished = false;
    std::vector<std::string> parts = chunks_->Take(&finished);
    if (parts.empty() && !finished) return;  // notify is armed
    writing_ = true;
    Lowest().expires_after(server_->timeout);
    if (parts.empty()) {
      chunks_->Close();  // drops the notify callback (and its reference to this session)
      chunks_.reset();
      if (version_ == 10) {
        writing_ = false;
        return OnWritten({});
      }
      asio::async_write(stream_, bhttp::make_chunk_last(),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          self->OnWritten(ec);
                        });
      return;
    }
    pending_.clear();
    for (auto& p : parts) pending_ += p;
    auto written = [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return self->Close();
      self->PumpChunks();
    };
    if (version_ == 10) {
      asio::async_write(stream_, asio::buffer(pending_), std::move(written));
      return;
    }
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(pending_)), std::move(written));
  }

  Server::Impl* server_;
  Stream stream_;
  net::ConnectionLease lease_;
  const uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::unique_ptr<bhttp::response<bhttp::empty_body>> continue_;
  std::unique_ptr<bhttp::response<bhttp::string_body>> response_;
  std::unique_ptr<bhttp::response_serializer<bhttp::string_body>> serializer_;
  std::unique_ptr<bhttp::response<bhttp::empty_body>> chunk_head_;
  std::unique_ptr<bhttp::response_serializer<bhttp::empty_body>> chunk_serializer_;
  std::shared_ptr<ChunkStream> chunks_;
  std::string pending_;
  std::string peer_;  // "ip:port" of the client
  bool keep_alive_ = true;
  unsigned version_ = 11;  // of the request being answered
  bool head_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

template <class Stream>
void Server::Impl::StartSession(tcp::socket socket, net::ConnectionLease lease) {
  uint64_t id;
  {
    std::lock_guard lock(mu);
    id = ++next_session;
    ++live;
  }
  api->metrics().connections_total.Inc();
  api->metrics().connections_active.Add(1);
  std::shared_ptr<Session<Stream>> session;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    session = std::make_shared<Session<Stream>>(this, beast::tcp_stream(std::move(socket)),
                                                std::move(lease), id);
  } else {
    session = std::make_shared<Session<Stream>>(
        this, Stream(beast::tcp_stream(std::move(socket)), *tls), std::move(lease), id);
  }
  std::weak_ptr<Session<Stream>> weak = session;
  {
    std::lock_guard lock(mu);
    closers[id] = [weak] {
      if (auto s = weak.lock()) asio::post(s->executor(), [s] { s->Close(); });
    };
  }
  asio::post(session->executor(), [session] { session->Run(); });
}

void Server::Impl::Accept() {
  if (stopped.load()) return;
  acceptor->async_accept(pool->Next(), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped.load() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or a transient error: back off instead of spinning.
      Logger("http")->warn("accept failed: {}", ec.message());
      backoff->expires_after(std::chrono::milliseconds(100));
      backoff->async_wait([this](beast::error_code wec) {
        if (!wec) Accept();
      });
      return;
    }
    if (!limit->TryAcquire()) {
      api->metrics().connections_rejected.Inc();
      beast::error_code ignored;
      socket.close(ignored);
      return Accept();
    }
    net::ConnectionLease lease(limit.get());
    if (tls) {
      StartSession<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), std::move(lease));
    } else {
      StartSession<beast::tcp_stream>(std::move(socket), std::move(lease));
    }
    Accept();
  });
}

Result<std::unique_ptr<Server>> Server::Create(const HttpConfig& config, net::IoPool* pool,
                                               asio::ssl::context* tls_or_null, ServerDeps deps) {
  if (!pool) return InvalidArgument("http: io pool required");
  if (!deps.engine || !deps.pipeline || !deps.executor) {
    return InvalidArgument("http: engine, pipeline and executor are required");
  }
  if (config.tls && !tls_or_null) {
    return InvalidArgument("http.tls: needs [tls] cert and key");
  }
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(config.listen));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->pool = pool;
  impl->tls = config.tls ? tls_or_null : nullptr;
  impl->timeout = deps.read_timeout;
  impl->limit = std::make_unique<net::ConnectionLimit>(deps.max_connections);
  if (!deps.list_databases || !deps.create_database) {
    std::string dir = deps.data_dir.empty() ? std::string(".") : deps.data_dir;
    ASSIGN_OR_RETURN(impl->own_databases,
                     DatabaseRegistry::Open(dir + "/http/databases", deps.engine));
    deps.list_databases = impl->own_databases->ListFn();
    deps.create_database = impl->own_databases->CreateFn();
    deps.database_exists = impl->own_databases->ExistsFn();
  }
  size_t threads = deps.worker_threads;
  if (threads == 0) threads = std::max<size_t>(2, std::thread::hardware_concurrency());
  impl->workers = std::make_unique<asio::thread_pool>(threads);
  asio::thread_pool* workers = impl->workers.get();
  impl->api = std::make_unique<Api>(
      std::move(deps), config.max_body_bytes,
      [workers](std::function<void()> fn) { asio::post(*workers, std::move(fn)); }, threads);

  beast::error_code ec;
  auto address = asio::ip::make_address(hp.host.empty() ? "0.0.0.0" : hp.host, ec);
  if (ec) return InvalidArgument("http.listen: bad address '" + config.listen + "': " + ec.message());
  tcp::endpoint endpoint(address, hp.port);
  impl->acceptor.emplace(pool->context(0));
  impl->backoff.emplace(pool->context(0));
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return IOError("http.listen: cannot listen on '" + config.listen + "': " + ec.message());
  tcp::endpoint bound = impl->acceptor->local_endpoint(ec);
  if (ec) return IOError("http.listen: " + ec.message());
  impl->port = bound.port();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return impl_->port; }

Api& Server::api() { return *impl_->api; }

void Server::Start() {
  if (impl_->started) return;
  impl_->started = true;
  asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] { impl->Accept(); });
}

void Server::Stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  // Close the acceptor on its own thread and wait for that, so no accept races the close.
  {
    std::promise<void> closed;
    auto fut = closed.get_future();
    asio::post(s.acceptor->get_executor(), [&s, &closed] {
      beast::error_code ec;
      s.acceptor->close(ec);
      s.backoff->cancel();
      closed.set_value();
    });
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      Logger("http")->warn("stop: acceptor did not close (is the I/O pool running?)");
    }
  }
  // Close every connection, then let in-flight requests finish.
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(s.mu);
    for (auto& [id, fn] : s.closers) closers.push_back(fn);
  }
  for (auto& fn : closers) fn();
  s.workers->join();
  std::unique_lock lock(s.mu);
  if (!s.cv.wait_for(lock, std::chrono::seconds(10), [&] { return s.live == 0; })) {
    Logger("http")->warn("stop: {} connections still open", s.live);
  }
}

}  // namespace verbund::http
