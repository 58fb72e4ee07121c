#include "controller/http_server.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "proto/validate.h"

namespace ridge::controller {
namespace {

HttpRequest FromHttplib(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.params.emplace_back(name, value);
  r.authorization = req.get_header_value("Authorization");
  r.cookie = req.get_header_value("Cookie");
  return r;
}

void Answer(const DashboardHandler& handler, const httplib::Request& req, httplib::Response& res) {
  HttpResponse r = handler.Handle(FromHttplib(req));
  res.status = r.status;
  for (const auto& [name, value] : r.headers) res.set_header(name, value);
  res.set_content(std::move(r.body), r.content_type);
  // The path only: a query may hold a token.
  Log(Component::kController)->debug("dashboard: {} {} status={}", req.method, req.path.substr(0, 100), r.status);
}

}  // namespace

absl::Status SplitHostPort(const std::string& listen, const char* flag, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quoted(listen), " is not host:port (port 0 to 65535)"));
  }
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen,
                                                              const DashboardHandler* handler) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(listen, "--http_listen", &host, &port); !s.ok()) return s;
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->server_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->server_;
  // Requests carry no body: GET and HEAD only; the rest are refused by the handler.
  http.set_payload_max_length(4096);
  // An idle keep-alive connection holds a pool thread; a short timeout bounds
  // how long Stop waits for them.
  http.set_keep_alive_timeout(1);
  auto answer = [handler](const httplib::Request& req, httplib::Response& res) { Answer(*handler, req, res); };
  http.Get(".*", answer);
  http.Post(".*", answer);
  http.Put(".*", answer);
  http.Delete(".*", answer);
  server->port_ = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (server->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--http_listen: cannot listen on ", Quoted(listen), " (in use, or not a local address)"));
  }
  HttpServer* s = server.get();
  s->thread_ = std::thread([s] {
    s->server_->listen_after_bind();
    s->loop_ended_ = true;
  });
  // stop() only takes effect once the loop runs; wait for it, so Stop never races it.
  while (!http.is_running() && !s->loop_ended_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return server;
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace ridge::controller
