#include "export/export.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "export/model_spec.h"
#include "export/onnx_model.h"
#include "export/pytorch_code.h"
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
  // Ungrouped blocks and Mobile MQA leave groups= and multi_head= to the modules' defaults.
  const std::string code = PyTorchModule(spec, "seeded");
  int blocks = 0;
  for (absl::string_view line : absl::StrSplit(code, '\n')) {
    if (!absl::StrContains(line, "\", dict(")) continue;
    ++blocks;
    EXPECT_FALSE(absl::StrContains(line, "groups=")) << line;
    EXPECT_FALSE(absl::StrContains(line, "multi_head=")) << line;
  }
  EXPECT_EQ(blocks, static_cast<int>(spec.blocks.size()));
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

// FBNet's grouped UIB ops: e1 with its expand conv kept, and e3 at stride 2.
constexpr char kGrouped[] =
    "v1 16x16x3 classes=5 act=relu ls=0 : conv(3,2,16) uib(0,3,1,16,1,2,1) uib(0,5,2,24,3,2,0) pool fc";

TEST(ModelSpec, GroupedConvsExportTheirDiagonalBlocks) {
  const Architecture arch = Arch(kGrouped);
  auto net = nn::Network::Create(arch, 1);
  ASSERT_TRUE(net.ok()) << net.status();
  const ModelSpec spec = *DescribeModel(arch);
  const BlockSpec& e1 = spec.blocks[1];
  EXPECT_TRUE(e1.expand);
  EXPECT_EQ(e1.groups, 2);
  ASSERT_EQ(e1.convs.size(), 3u);
  EXPECT_EQ(e1.convs[0].role, "expand");
  EXPECT_EQ(e1.convs[0].groups, 2);
  EXPECT_EQ(e1.convs[0].shuffle, 2);
  EXPECT_EQ(e1.convs[0].out_h, 8);
  EXPECT_EQ(e1.convs[1].groups, 1);  // The middle DW.
  EXPECT_EQ(e1.convs[2].groups, 2);
  EXPECT_EQ(e1.convs[2].shuffle, 0);
  auto sd = StateDict(spec, (*net)->params());
  ASSERT_TRUE(sd.ok()) << sd.status();
  // blocks.2.project: Ridge's dense [24, 48]; PyTorch's [24, 24, 1, 1] holds
  // row o's 24 inputs of group o / 12.
  const nn::Param* dense = (*net)->params().Find("blocks.2.project.weight");
  int found = 0;
  for (const NamedTensor& t : *sd) {
    if (t.name != "blocks.2.project.conv.weight") continue;
    ASSERT_EQ(t.shape, (std::vector<int64_t>{24, 24, 1, 1}));
    const float* got = reinterpret_cast<const float*>(t.bytes.data());
    for (int o = 0; o < 24; ++o) {
      for (int i = 0; i < 24; ++i) ASSERT_EQ(got[o * 24 + i], dense->value[o * 48 + (o / 12) * 24 + i]) << o;
    }
    ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST(OnnxModel, GroupedConvsAndChannelShuffle) {
  const Architecture arch = Arch(kGrouped);
  auto net = nn::Network::Create(arch, 1);
  const ModelSpec spec = *DescribeModel(arch);
  auto model = OnnxModel(spec, *StateDict(spec, (*net)->params()));
  ASSERT_TRUE(model.ok()) << model.status();
  int grouped = 0, transposes = 0;
  for (const auto& n : model->graph().node()) {
    transposes += n.op_type() == "Transpose";
    for (const auto& a : n.attribute()) grouped += a.name() == "group" && a.i() == 2;
  }
  EXPECT_EQ(grouped, 4);     // Expand and project of both blocks.
  EXPECT_EQ(transposes, 2);  // One shuffle per block.
  const std::string code = PyTorchModule(spec, "seeded");
  EXPECT_NE(code.find("class ChannelShuffle(nn.Module):"), std::string::npos);
  EXPECT_NE(code.find("dict(cin=16, hidden=16, cout=16, start_dw=0, mid_dw=3, stride=1, expand=True, "
                      "layer_scale=False, act=ACTIVATION, groups=2)"),
            std::string::npos)
      << code;
}

// MHSA (a key and value head per query head), downsampled and not, beside
// Mobile MQA. 16x16 -> 8x8; the downsampled keys are 4x4.
constexpr char kMultiHead[] =
    "v1 16x16x3 classes=5 act=relu ls=1 : conv(3,2,16) mqa(2,8,2,1) mqa(4,8,1,1) mqa(2,8,1) pool fc";

TEST(ModelSpec, MultiHeadAttentionHasAKeyAndValueHeadPerQueryHead) {
  const Architecture arch = Arch(kMultiHead);
  auto net = nn::Network::Create(arch, 1);
  ASSERT_TRUE(net.ok()) << net.status();
  const ModelSpec spec = *DescribeModel(arch);
  EXPECT_TRUE(spec.blocks[1].multi_head);
  EXPECT_FALSE(spec.blocks[3].multi_head);
  auto sd = StateDict(spec, (*net)->params());
  ASSERT_TRUE(sd.ok()) << sd.status();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const NamedTensor& t : *sd) shapes[t.name] = t.shape;
  EXPECT_EQ(shapes["blocks.1.key.conv.weight"], (std::vector<int64_t>{16, 16, 1, 1}));
  EXPECT_EQ(shapes["blocks.2.value.conv.weight"], (std::vector<int64_t>{32, 16, 1, 1}));
  EXPECT_EQ(shapes["blocks.3.key.conv.weight"], (std::vector<int64_t>{8, 16, 1, 1}));  // Mobile MQA: one head.
  EXPECT_EQ(shapes["blocks.2.output.conv.weight"], (std::vector<int64_t>{16, 32, 1, 1}));
  const std::string code = PyTorchModule(spec, "seeded");
  EXPECT_NE(code.find("(\"MobileMQA\", dict(channels=16, heads=4, key_dim=8, kv_stride=1, layer_scale=True, "
                      "multi_head=True))"),
            std::string::npos)
      << code;
  EXPECT_NE(code.find("heads=2, key_dim=8, kv_stride=1, layer_scale=True))"), std::string::npos);  // Mobile MQA.
}

// Each MHSA head is one matrix of a batch of n * heads: the key reshape
// names the head's dims, d x m, and leaves the batch to ONNX.
TEST(OnnxModel, MultiHeadAttentionBatchesImagesAndHeads) {
  const Architecture arch = Arch(kMultiHead);
  auto net = nn::Network::Create(arch, 1);
  const ModelSpec spec = *DescribeModel(arch);
  auto model = OnnxModel(spec, *StateDict(spec, (*net)->params()));
  ASSERT_TRUE(model.ok()) << model.status();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& t : model->graph().initializer()) {
    if (t.data_type() != onnx::TensorProto::INT64) continue;
    shapes[t.name()].assign(t.int64_data().begin(), t.int64_data().end());
  }
  EXPECT_EQ(shapes["blocks.1.kv_shape"], (std::vector<int64_t>{-1, 8, 16}));
  EXPECT_EQ(shapes["blocks.2.kv_shape"], (std::vector<int64_t>{-1, 8, 64}));
  EXPECT_EQ(shapes["blocks.2.o_shape"], (std::vector<int64_t>{-1, 32, 8, 8}));
  EXPECT_EQ(shapes["blocks.3.kv_shape"], (std::vector<int64_t>{0, 8, -1}));  // Mobile MQA's shared head.
  std::multiset<std::string> ops;
  for (const auto& n : model->graph().node()) ops.insert(n.op_type());
  EXPECT_EQ(ops.count("MatMul"), 6u);
  EXPECT_EQ(ops.count("Softmax"), 3u);
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
