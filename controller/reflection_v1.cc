#include "controller/reflection_v1.h"

#include <set>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace ridge::controller {
namespace {

namespace v1 = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

// `file` and everything it imports, each once, imports first.
void AddFile(const FileDescriptor* file, std::set<const FileDescriptor*>* seen, v1::FileDescriptorResponse* out) {
  if (file == nullptr || !seen->insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), seen, out);
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  proto.SerializeToString(out->add_file_descriptor_proto());
}

void NotFound(const std::string& what, v1::ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  response->mutable_error_response()->set_error_message(what.substr(0, 200) + ": not found");
}

void FileResponse(const FileDescriptor* file, const std::string& what, v1::ServerReflectionResponse* response) {
  if (file == nullptr) return NotFound(what, response);
  std::set<const FileDescriptor*> seen;
  AddFile(file, &seen, response->mutable_file_descriptor_response());
}

}  // namespace

v1::ServerReflectionResponse ReflectionV1Service::Answer(const v1::ServerReflectionRequest& request) const {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  v1::ServerReflectionResponse response;
  response.set_valid_host(request.host().substr(0, 256));
  *response.mutable_original_request() = request;
  switch (request.message_request_case()) {
    case v1::ServerReflectionRequest::kListServices:
      for (const std::string& s : services_) response.mutable_list_services_response()->add_service()->set_name(s);
      break;
    case v1::ServerReflectionRequest::kFileByFilename:
      FileResponse(pool->FindFileByName(request.file_by_filename()), request.file_by_filename(), &response);
      break;
    case v1::ServerReflectionRequest::kFileContainingSymbol:
      FileResponse(pool->FindFileContainingSymbol(request.file_containing_symbol()),
                   request.file_containing_symbol(), &response);
      break;
    case v1::ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = request.file_containing_extension();
      const google::protobuf::Descriptor* type = pool->FindMessageTypeByName(ext.containing_type());
      const google::protobuf::FieldDescriptor* field =
          type == nullptr ? nullptr : pool->FindExtensionByNumber(type, ext.extension_number());
      FileResponse(field == nullptr ? nullptr : field->file(), ext.containing_type(), &response);
      break;
    }
    case v1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const google::protobuf::Descriptor* type = pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        NotFound(request.all_extension_numbers_of_type(), &response);
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* f : extensions) numbers->add_extension_number(f->number());
      break;
    }
    default:
      response.mutable_error_response()->set_error_code(static_cast<int>(grpc::StatusCode::UNIMPLEMENTED));
      response.mutable_error_response()->set_error_message("the request names no known question");
  }
  response.mutable_original_request()->set_host(response.valid_host());
  return response;
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::ServerReflectionResponse, v1::ServerReflectionRequest>* stream) {
  v1::ServerReflectionRequest request;
  while (!context->IsCancelled() && stream->Read(&request)) {
    if (!stream->Write(Answer(request))) break;
  }
  return grpc::Status::OK;
}

}  // namespace ridge::controller
