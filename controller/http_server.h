// Serves a DashboardHandler over HTTP/1.1 with cpp-httplib (Debian's
// libcpp-httplib; docs/dashboard.md), on its own thread pool beside the gRPC
// server. Only GET and HEAD reach the handler; bodies are refused.
#ifndef RIDGE_CONTROLLER_HTTP_SERVER_H_
#define RIDGE_CONTROLLER_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controller/dashboard.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace ridge::controller {

class HttpServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one) and serves
  // `handler`, which must outlive this. UNAVAILABLE if the address cannot
  // be bound, INVALID_ARGUMENT if it is not host:port.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& listen,
                                                           const DashboardHandler* handler);
  ~HttpServer();

  // Stops accepting and waits for the listener thread. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> loop_ended_{false};
  int port_ = 0;
};

// Splits "host:port" ("[::1]:80" too); INVALID_ARGUMENT naming `flag`.
absl::Status SplitHostPort(const std::string& listen, const char* flag, std::string* host, int* port);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_HTTP_SERVER_H_
