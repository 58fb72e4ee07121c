// The controller over a real loopback gRPC channel: launch, watch, fronts,
// cancel, concurrency, auth, bad input and a client that leaves mid-Watch.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "controller/server.h"
#include "google/protobuf/descriptor.pb.h"
#include "proto/reflection_v1.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge::controller {
namespace {

constexpr char kClient[] = "client-token-0123456789";
constexpr char kWorker[] = "worker-token-0123456789";

CampaignSpec TinySpec(int steps) {
  CampaignSpec spec = *ParseTextProtoAs<CampaignSpec>(R"pb(
    name: "tiny"
    space_ref: "fmnist_uib"
    dataset { name: "fashion_mnist" train_images: 128 valid_images: 64 }
    training { batch_size: 32 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 4, 8 ] }
    targets { hardware: "pixel8_edgetpu" budget_ms: [ 0.5 ] }
    deployment { input { height: 224 width: 224 channels: 3 } num_classes: 1000 }
    top_samples: 2
  )pb", "test");
  spec.mutable_training()->set_coarse_steps(steps);
  return spec;
}

class ServiceTest : public ::testing::Test {
 protected:
  void StartController(int max_concurrent = 1) {
    const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::system(absl::StrCat("rm -rf ", dir, " && mkdir -p ", dir).c_str());
    std::ofstream(dir + "/tokens") << "client " << kClient << "\nworker " << kWorker << "\n";
    ControllerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir;
    options.token_file = dir + "/tokens";
    options.max_request_bytes = 64 << 10;
    options.manager.max_concurrent = max_concurrent;
    options.manager.event_every_steps = 2;
    absl::StatusOr<std::unique_ptr<Controller>> c = Controller::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    controller_ = std::move(*c);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", controller_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = CampaignService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = kClient) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    return context;
  }

  std::string Launch(const CampaignSpec& spec) {
    LaunchRequest request;
    *request.mutable_spec() = spec;
    LaunchResponse response;
    grpc::Status s = stub_->Launch(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.campaign_id();
  }

  // Watches to the end; returns every event.
  std::vector<ProgressEvent> WatchAll(const std::string& id) {
    WatchRequest request;
    request.set_campaign_id(id);
    auto context = Context();
    // A whole campaign, retraining included, on a machine that may be running
    // every other test too.
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(900));
    auto reader = stub_->Watch(context.get(), request);
    std::vector<ProgressEvent> events;
    ProgressEvent e;
    while (reader->Read(&e)) events.push_back(e);
    grpc::Status s = reader->Finish();
    // The stream ends with the campaign's outcome: OK for DONE.
    const CampaignState end = events.empty() ? CAMPAIGN_STATE_UNSPECIFIED : events.back().state();
    const grpc::StatusCode want = end == CANCELLED ? grpc::StatusCode::CANCELLED
                                  : end == FAILED  ? grpc::StatusCode::ABORTED
                                                   : grpc::StatusCode::OK;
    EXPECT_EQ(s.error_code(), want) << s.error_message();
    return events;
  }

  // Downloads a front member's retrained weights whole into *file (its
  // announced size into *total); returns the stream's status.
  grpc::Status Download(const std::string& id, const std::string& arch_id, std::string* file, int64_t* total) {
    DownloadWeightsRequest request;
    request.set_campaign_id(id);
    request.set_arch_id(arch_id);
    auto context = Context();  // Must outlive its stream.
    auto reader = stub_->DownloadWeights(context.get(), request);
    file->clear();
    for (WeightsChunk chunk; reader->Read(&chunk);) {
      if (file->empty()) *total = chunk.total_bytes();
      *file += chunk.data();
    }
    return reader->Finish();
  }

  // A front member of a DONE campaign that retrained: its architecture at
  // the deployment shape, and its retrained weights, streamed whole.
  void CheckExportOf(const std::string& id, const std::string& arch_id) {
    ExportArchitectureRequest export_request;
    export_request.set_campaign_id(id);
    export_request.set_arch_id(arch_id);
    ExportArchitectureResponse exported;
    ASSERT_TRUE(stub_->ExportArchitecture(Context().get(), export_request, &exported).ok());
    EXPECT_EQ(exported.architecture().input().height(), 224);
    EXPECT_FALSE(exported.canonical().empty());
    // The front member's retrained weights, streamed whole.
    std::string file;
    int64_t total = -1;
    ASSERT_TRUE(Download(id, arch_id, &file, &total).ok());
    EXPECT_EQ(static_cast<int64_t>(file.size()), total);
    EXPECT_EQ(file.substr(0, 8), "RIDGECKP");
    // Not a front member: NOT_FOUND, naming the ID; a malformed ID: INVALID_ARGUMENT.
    grpc::Status s = Download(id, "0123456789abcdef", &file, &total);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(s.error_message().find("0123456789abcdef"), std::string::npos) << s.error_message();
    EXPECT_EQ(Download(id, "../../etc/passwd", &file, &total).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }

  Campaign Get(const std::string& id) {
    GetCampaignRequest request;
    request.set_campaign_id(id);
    Campaign c;
    EXPECT_TRUE(stub_->Get(Context().get(), request, &c).ok());
    return c;
  }

  std::unique_ptr<Controller> controller_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<CampaignService::Stub> stub_;
};

TEST_F(ServiceTest, LaunchWatchThenReadTheFront) {
  StartController();
  CampaignSpec spec = TinySpec(6);
  spec.set_retrain_epochs(1);  // On 128 images: quick, and it keeps weights to download.
  const std::string id = Launch(spec);
  std::vector<ProgressEvent> events = WatchAll(id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().state(), DONE);
  EXPECT_EQ(events.back().policies_size(), 3);
  Campaign c = Get(id);
  EXPECT_EQ(c.state(), DONE);
  ASSERT_EQ(c.results_size(), 3);
  EXPECT_EQ(c.results(0).argmax().input().height(), 224);

  GetParetoFrontRequest request;
  request.set_campaign_id(id);
  GetParetoFrontResponse all;
  ASSERT_TRUE(stub_->GetParetoFront(Context().get(), request, &all).ok());
  ASSERT_GE(all.points_size(), 2);
  EXPECT_EQ(all.hypervolume().size(), 2u);
  // Filter by hardware, then page through one point at a time.
  request.set_hardware("pixel6_cpu");
  request.set_page_size(1);
  int pages = 0, points = 0;
  do {
    GetParetoFrontResponse page;
    ASSERT_TRUE(stub_->GetParetoFront(Context().get(), request, &page).ok());
    for (const ParetoPoint& p : page.points()) {
      EXPECT_EQ(p.hardware(), "pixel6_cpu");
      ++points;
    }
    EXPECT_EQ(page.hypervolume().size(), 1u);
    request.set_page_token(page.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, points);
  // A latency bound below every point leaves nothing.
  request.set_page_size(0);
  request.set_max_latency_ms(1e-6);
  GetParetoFrontResponse none;
  ASSERT_TRUE(stub_->GetParetoFront(Context().get(), request, &none).ok());
  EXPECT_EQ(none.points_size(), 0);

  CheckExportOf(id, all.points(0).arch_id());
}

TEST_F(ServiceTest, CancelStopsARunningCampaign) {
  StartController();
  const std::string id = Launch(TinySpec(100000));
  while (Get(id).step() < 2) absl::SleepFor(absl::Milliseconds(50));
  CancelRequest request;
  request.set_campaign_id(id);
  CancelResponse response;
  ASSERT_TRUE(stub_->Cancel(Context().get(), request, &response).ok());
  EXPECT_EQ(response.state(), CANCELLED);
  EXPECT_EQ(Get(id).state(), CANCELLED);
  EXPECT_EQ(WatchAll(id).back().state(), CANCELLED);
}

TEST_F(ServiceTest, WatchOfAFailedCampaignEndsWithItsError) {
  StartController();
  CampaignSpec spec = TinySpec(4);
  spec.mutable_distill()->set_soft_labels("missing.sl");  // Fails while loading.
  const std::string id = Launch(spec);
  WatchRequest request;
  request.set_campaign_id(id);
  auto context = Context();
  auto reader = stub_->Watch(context.get(), request);
  ProgressEvent e;
  while (reader->Read(&e)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_EQ(e.state(), FAILED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_NE(s.error_message().find("failed: distill.soft_labels"), std::string::npos) << s.error_message();
}

TEST_F(ServiceTest, TwoCampaignsRunAtOnce) {
  StartController(/*max_concurrent=*/2);
  const std::string a = Launch(TinySpec(8));
  const std::string b = Launch(TinySpec(8));
  EXPECT_NE(a, b);
  EXPECT_EQ(WatchAll(a).back().state(), DONE);
  EXPECT_EQ(WatchAll(b).back().state(), DONE);
  ListCampaignsRequest request;
  ListCampaignsResponse response;
  ASSERT_TRUE(stub_->List(Context().get(), request, &response).ok());
  EXPECT_EQ(response.campaigns_size(), 2);
}

TEST_F(ServiceTest, EveryRpcChecksItsRole) {
  StartController();
  ListCampaignsRequest request;
  ListCampaignsResponse response;
  EXPECT_EQ(stub_->List(Context("").get(), request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->List(Context("not-a-known-token-xx").get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->List(Context(kWorker).get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->List(Context(kClient).get(), request, &response).ok());
  auto latency = LatencyService::NewStub(channel_);
  PredictRequest predict;
  PredictResponse predicted;
  EXPECT_EQ(latency->Predict(Context("").get(), predict, &predicted).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Standard health checking stays open: no token, and the answer is status
  // SERVING (field 1 = 1: bytes 08 01), for the server ("") and for each
  // service by name; an unknown service is NOT_FOUND.
  auto health = [&](const std::string& service, std::string* reply) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext health_context;
    // HealthCheckRequest { service = 1 }, by hand: tag 0x0a, length, bytes.
    const std::string request_bytes =
        service.empty() ? "" : std::string("\x0a") + static_cast<char>(service.size()) + service;
    grpc::Slice request_slice(request_bytes);
    grpc::ByteBuffer request_buffer(&request_slice, 1), answer;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&health_context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer, &answer,
                      [&](grpc::Status s) { done.set_value(s); });
    grpc::Status status = done.get_future().get();
    grpc::Slice slice;
    if (status.ok() && (answer.TrySingleSlice(&slice).ok() || answer.DumpToSingleSlice(&slice).ok())) {
      *reply = std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    return status;
  };
  for (const std::string& service : {std::string(""), std::string("ridge.CampaignService"),
                                     std::string("ridge.WorkerService"), std::string("ridge.LatencyService")}) {
    std::string reply;
    ASSERT_TRUE(health(service, &reply).ok()) << service;
    EXPECT_EQ(reply, std::string("\x08\x01")) << service;
  }
  std::string reply;
  EXPECT_EQ(health("ridge.NoSuchService", &reply).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ReflectionV1ListsServicesAndDescribesThem) {
  StartController();
  auto reflection = grpc::reflection::v1::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;  // No token: reflection is open, as v1alpha is.
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1::ServerReflectionRequest list, symbol, missing;
  list.set_list_services("");
  symbol.set_file_containing_symbol("ridge.CampaignService");
  missing.set_file_containing_symbol("ridge.NoSuchThing");
  std::vector<grpc::reflection::v1::ServerReflectionResponse> answers(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(stream->Write(i == 0 ? list : i == 1 ? symbol : missing));
    ASSERT_TRUE(stream->Read(&answers[i]));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  std::vector<std::string> names;
  for (const auto& s : answers[0].list_services_response().service()) names.push_back(s.name());
  EXPECT_NE(std::find(names.begin(), names.end(), "ridge.CampaignService"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "grpc.reflection.v1.ServerReflection"), names.end());
  ASSERT_GT(answers[1].file_descriptor_response().file_descriptor_proto_size(), 1);  // The file and its imports.
  google::protobuf::FileDescriptorProto last;
  ASSERT_TRUE(last.ParseFromString(answers[1].file_descriptor_response().file_descriptor_proto(
      answers[1].file_descriptor_response().file_descriptor_proto_size() - 1)));
  EXPECT_EQ(last.name(), "proto/services.proto");
  EXPECT_EQ(answers[2].error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ServiceTest, BadSpecsAreRefusedNamingTheFieldAndCreateNothing) {
  StartController();
  CampaignSpec spec = TinySpec(6);
  spec.mutable_targets(0)->clear_budget_ms();
  LaunchRequest request;
  *request.mutable_spec() = spec;
  LaunchResponse response;
  grpc::Status s = stub_->Launch(Context().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("targets[0].budget_ms"), std::string::npos) << s.error_message();
  request.clear_spec();
  EXPECT_EQ(stub_->Launch(Context().get(), request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Larger than the server's request limit (64 KiB here).
  *request.mutable_spec() = TinySpec(6);
  request.mutable_spec()->set_name(std::string(100 << 10, 'x'));
  EXPECT_EQ(stub_->Launch(Context().get(), request, &response).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ListCampaignsResponse list;
  ASSERT_TRUE(stub_->List(Context().get(), ListCampaignsRequest(), &list).ok());
  EXPECT_EQ(list.campaigns_size(), 0);
  GetParetoFrontRequest front;
  front.set_campaign_id("c0");
  front.set_min_accuracy(2);
  GetParetoFrontResponse points;
  s = stub_->GetParetoFront(Context().get(), front, &points);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("min_accuracy: 2"), std::string::npos) << s.error_message();
  GetCampaignRequest get;
  get.set_campaign_id("c-none");
  Campaign c;
  EXPECT_EQ(stub_->Get(Context().get(), get, &c).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, AClientThatLeavesMidWatchDoesNotDisturbTheCampaign) {
  StartController();
  const std::string id = Launch(TinySpec(12));
  {
    WatchRequest request;
    request.set_campaign_id(id);
    auto context = Context();
    auto reader = stub_->Watch(context.get(), request);
    ProgressEvent e;
    ASSERT_TRUE(reader->Read(&e));
    context->TryCancel();
    while (reader->Read(&e)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(WatchAll(id).back().state(), DONE);
}

// With a certificate and key the controller speaks TLS only: a TLS client
// that trusts the certificate gets through, a plaintext one does not.
TEST(ServiceTls, ServesTlsOnlyWhenGivenACertificate) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/tls");
  ASSERT_EQ(std::system(absl::StrCat("rm -rf ", dir, " && mkdir -p ", dir, " && openssl req -x509 -newkey rsa:2048 "
                                     "-nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
                                     "-keyout ", dir, "/key.pem -out ", dir, "/cert.pem 2>/dev/null")
                            .c_str()),
            0);
  std::ofstream(dir + "/tokens") << "client " << kClient << "\n";
  ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir;
  options.token_file = dir + "/tokens";
  options.tls_cert = dir + "/cert.pem";
  options.tls_key = dir + "/key.pem";
  absl::StatusOr<std::unique_ptr<Controller>> c = Controller::Start(options);
  ASSERT_TRUE(c.ok()) << c.status();
  std::stringstream pem;
  pem << std::ifstream(dir + "/cert.pem").rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  const std::string target = absl::StrCat("localhost:", (*c)->port());
  auto call = [&](std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = CampaignService::NewStub(grpc::CreateChannel(target, credentials));
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kClient);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ListCampaignsResponse response;
    return stub->List(&context, ListCampaignsRequest(), &response).error_code();
  };
  EXPECT_EQ(call(grpc::SslCredentials(ssl)), grpc::StatusCode::OK);
  EXPECT_EQ(call(grpc::InsecureChannelCredentials()), grpc::StatusCode::UNAVAILABLE);
  options.tls_key.clear();
  EXPECT_EQ(Controller::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge::controller
