// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), answered
// from the process's generated descriptor pool: the services the server
// offers, and the .proto files (with their imports) that define a file name,
// symbol or extension. Served beside gRPC's own v1alpha, which is all that
// Debian's gRPC 1.51 provides; clients such as current grpcurl ask for v1
// first. Thread-safe; open without a token, like v1alpha and health.
#ifndef RIDGE_CONTROLLER_REFLECTION_V1_H_
#define RIDGE_CONTROLLER_REFLECTION_V1_H_

#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "proto/reflection_v1.grpc.pb.h"

namespace ridge::controller {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `services`: the fully qualified names ListServices answers with.
  explicit ReflectionV1Service(std::vector<std::string> services) : services_(std::move(services)) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

  // One request's answer (exposed for tests).
  grpc::reflection::v1::ServerReflectionResponse Answer(const grpc::reflection::v1::ServerReflectionRequest& request) const;

 private:
  const std::vector<std::string> services_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_REFLECTION_V1_H_
