#include "export/export.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include "export/model_spec.h"
#include "export/onnx_model.h"
#include "export/torch_save.h"
#include "export/zip_writer.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "supernet/checkpoint.h"

namespace ridge::exporter {
namespace {

// Every block kind: conv, Fused-IB, UIB as ExtraDW, ConvNext, FFN and t = 1,
// Mobile MQA with and without KV downsampling; layer scale and hard-swish.
constexpr char kEveryBlock[] =
    "v1 32x32x3 classes=10 act=hard_swish ls=1 : conv(3,2,16) fused(3,1,16,2) uib(3,5,2,24,4) uib(5,0,1,24,3) "
    "uib(3,0,2,32,2) uib(0,0,1,32,2) uib(0,3,1,32,1) mqa(2,8,2) mqa(2,8,1) conv(1,1,64) pool fc";

Architecture Arch(const std::string& encoding) { return *ParseCanonicalEncoding(encoding); }

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

uint32_t Read32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;  // The test machine is little-endian, as the format.
}
uint16_t Read16(const std::string& s, size_t at) {
  uint16_t v;
  std::memcpy(&v, s.data() + at, 2);
  return v;
}

TEST(ZipWriter, StoredEntriesAlignedWithCentralDirectory) {
  ZipWriter zip;
  ASSERT_TRUE(zip.Add("a/data.pkl", "hello").ok());
  ASSERT_TRUE(zip.Add("a/data/0", std::string(100, 'x')).ok());
  const std::string z = zip.Finish();
  EXPECT_EQ(Read32(z, 0), 0x04034b50u);
  EXPECT_EQ(Read16(z, 8), 0);  // Stored.
  EXPECT_EQ(Read32(z, 14), crc32(0L, reinterpret_cast<const Bytef*>("hello"), 5));
  const size_t data_at = 30 + Read16(z, 26) + Read16(z, 28);
  EXPECT_EQ(data_at % 64, 0u);
  EXPECT_EQ(z.substr(data_at, 5), "hello");
  const size_t end = z.size() - 22;
  EXPECT_EQ(Read32(z, end), 0x06054b50u);
  EXPECT_EQ(Read16(z, end + 10), 2);  // Entries.
  EXPECT_EQ(Read32(z, Read32(z, end + 16)), 0x02014b50u);  // The directory starts where the end says.
}

TEST(TorchSave, PickleUsesOnlyWeightsOnlyGlobals) {
  NamedTensor t{"w", {2, 3}, DType::kFloat32, std::string(24, '\0')};
  const std::string p = StateDictPickle({t});
  EXPECT_EQ(p.substr(0, 2), std::string("\x80\x02", 2));
  EXPECT_EQ(p.back(), '.');
  EXPECT_NE(p.find("ctorch._utils\n_rebuild_tensor_v2\n"), std::string::npos);
  EXPECT_NE(p.find("ctorch\nFloatStorage\n"), std::string::npos);
  EXPECT_NE(p.find("ccollections\nOrderedDict\n"), std::string::npos);
  const std::string file = *TorchSaveStateDict({t}, "m");
  for (const char* name : {"m/data.pkl", "m/data/0", "m/version"}) EXPECT_NE(file.find(name), std::string::npos);
}

TEST(ModelSpec, StateDictCoversEveryParameter) {
  const Architecture arch = Arch(kEveryBlock);
  auto net = nn::Network::Create(arch, 1);
  ASSERT_TRUE(net.ok());
  const ModelSpec spec = *DescribeModel(arch);
  auto sd = StateDict(spec, (*net)->params());
  ASSERT_TRUE(sd.ok()) << sd.status();
  std::set<std::string> names;
  for (const NamedTensor& t : *sd) names.insert(t.name);
  for (const char* name : {"blocks.2.start_dw.conv.weight", "blocks.2.mid_dw.bn.running_var", "blocks.6.mid_dw.conv.weight",
                           "blocks.7.key_dw.bn.weight", "blocks.7.norm.running_mean", "blocks.8.output.conv.weight",
                           "blocks.8.layer_scale.gamma", "blocks.11.fc.bias"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  EXPECT_EQ(names.count("blocks.6.expand.conv.weight"), 0u);  // t = 1: no expand conv.
  EXPECT_EQ(names.count("blocks.8.key_dw.conv.weight"), 0u);  // kv_stride 1: no DW.
  EXPECT_EQ(spec.blocks[2].convs[0].stride, 1);  // The stride sits on the middle DW.
  EXPECT_EQ(spec.blocks[4].convs[0].stride, 2);  // No middle DW: on the start DW.
}

TEST(OnnxModel, Opset13GraphWithEveryWeight) {
  const Architecture arch = Arch(kEveryBlock);
  auto net = nn::Network::Create(arch, 1);
  const ModelSpec spec = *DescribeModel(arch);
  const std::vector<NamedTensor> sd = *StateDict(spec, (*net)->params());
  auto model = OnnxModel(spec, sd);
  ASSERT_TRUE(model.ok()) << model.status();
  std::string bytes;
  ASSERT_TRUE(model->SerializeToString(&bytes));
  onnx::ModelProto back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.opset_import(0).version(), 13);
  EXPECT_EQ(back.graph().input(0).name(), "input");
  EXPECT_EQ(back.graph().output(0).name(), "logits");
  EXPECT_EQ(back.graph().node(back.graph().node_size() - 1).output(0), "logits");
  std::multiset<std::string> ops;
  for (const auto& n : back.graph().node()) ops.insert(n.op_type());
  EXPECT_EQ(ops.count("Softmax"), 2u);
  EXPECT_EQ(ops.count("HardSigmoid"), 9u);  // One per activated conv: 2 conv, 1 fused, 6 in the UIBs.
  EXPECT_EQ(ops.count("Relu"), 0u);
  EXPECT_EQ(ops.count("Gemm"), 1u);
}

TEST(NetworkWithWeights, SameSeedSameWeightsAndCheckpointMismatchRefused) {
  const Architecture arch = Arch("v1 28x28x1 classes=10 act=relu ls=0 : conv(3,2,8) uib(0,3,1,8,2) pool fc");
  auto a = NetworkWithWeights(arch, "", 7);
  auto b = NetworkWithWeights(arch, "", 7);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->params().params()[0]->value, (*b)->params().params()[0]->value);

  const std::string ckpt = TmpDir() + "/other.ckpt";
  const Architecture other = Arch("v1 28x28x1 classes=10 act=relu ls=0 : conv(3,2,8) uib(0,5,1,8,2) pool fc");
  auto net = nn::Network::Create(other, 1);
  ASSERT_TRUE(nn::WriteCheckpoint(ckpt, {"standalone", CanonicalEncoding(other), "", 1, 1}, (*net)->params(), nullptr).ok());
  auto refused = NetworkWithWeights(arch, ckpt, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_NE(refused.status().message().find("'uib(0,5,1,8,2)' where --arch has 'uib(0,3,1,8,2)'"), std::string::npos)
      << refused.status();
  EXPECT_TRUE(NetworkWithWeights(other, ckpt, 1).ok());
  EXPECT_FALSE(NetworkWithWeights(arch, TmpDir() + "/missing.ckpt", 1).ok());
}

TEST(Export, UnwritableOutRefused) {
  const Architecture arch = Arch("v1 8x8x1 classes=2 act=relu ls=0 : conv(3,2,8) pool fc");
  auto net = nn::Network::Create(arch, 1);
  const std::string file = TmpDir() + "/a_file";
  std::ofstream(file) << "x";
  for (Format f : {Format::kPyTorch, Format::kOnnx, Format::kTextproto}) {
    auto r = Export(arch, (*net)->params(), f, file + "/sub/out", "note");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--out"), std::string::npos) << r.status();
  }
  auto ok = Export(arch, (*net)->params(), Format::kPyTorch, TmpDir() + "/torch_out", "note");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_FALSE(ParseFormat("tflite").ok());
}

}  // namespace
}  // namespace ridge::exporter
