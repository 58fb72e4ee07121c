#include "export/torch_save.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "export/zip_writer.h"

namespace ridge::exporter {
namespace {

// Pickle opcodes (CPython Lib/pickletools.py).
constexpr char kProto = '\x80', kGlobal = 'c', kMark = '(', kTuple = 't', kEmptyTuple = ')', kReduce = 'R',
               kBinPersId = 'Q', kBinInt = 'J', kBinUnicode = 'X', kNewFalse = '\x89', kSetItems = 'u',
               kStop = '.';

class Pickler {
 public:
  Pickler() { out_ += {kProto, '\x02'}; }
  void Global(const std::string& module, const std::string& name) {
    out_ += kGlobal;
    absl::StrAppend(&out_, module, "\n", name, "\n");
  }
  void Op(char op) { out_ += op; }
  void Int(int64_t v) {  // Every size and stride here fits in 32 bits (checked by the caller).
    out_ += kBinInt;
    Raw32(static_cast<uint32_t>(static_cast<int32_t>(v)));
  }
  void String(const std::string& s) {
    out_ += kBinUnicode;
    Raw32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void IntTuple(const std::vector<int64_t>& values) {
    if (values.empty()) return Op(kEmptyTuple);
    Op(kMark);
    for (int64_t v : values) Int(v);
    Op(kTuple);
  }
  // An empty OrderedDict: collections.OrderedDict called with ().
  void EmptyOrderedDict() {
    Global("collections", "OrderedDict");
    Op(kEmptyTuple);
    Op(kReduce);
  }
  std::string Take() {
    out_ += kStop;
    return std::move(out_);
  }

 private:
  void Raw32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string out_;
};

// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks).
void PickleTensor(const NamedTensor& t, const std::string& key, Pickler* p) {
  p->Global("torch._utils", "_rebuild_tensor_v2");
  p->Op(kMark);
  p->Op(kMark);
  p->String("storage");
  p->Global("torch", t.dtype == DType::kInt64 ? "LongStorage" : "FloatStorage");
  p->String(key);
  p->String("cpu");
  p->Int(t.numel());
  p->Op(kTuple);
  p->Op(kBinPersId);
  p->Int(0);
  p->IntTuple(t.shape);
  std::vector<int64_t> strides(t.shape.size(), 1);
  for (int i = static_cast<int>(t.shape.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * t.shape[i + 1];
  p->IntTuple(strides);
  p->Op(kNewFalse);
  p->EmptyOrderedDict();
  p->Op(kTuple);
  p->Op(kReduce);
}

}  // namespace

std::string StateDictPickle(const std::vector<NamedTensor>& tensors) {
  Pickler p;
  p.EmptyOrderedDict();
  p.Op(kMark);
  for (size_t i = 0; i < tensors.size(); ++i) {
    p.String(tensors[i].name);
    PickleTensor(tensors[i], absl::StrCat(i), &p);
  }
  p.Op(kSetItems);
  return p.Take();
}

absl::StatusOr<std::string> TorchSaveStateDict(const std::vector<NamedTensor>& tensors, const std::string& archive) {
  for (const NamedTensor& t : tensors) {
    if (t.numel() > INT32_MAX) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", t.name, "' has more than 2^31 elements"));
    }
  }
  ZipWriter zip;
  RETURN_IF_ERROR(zip.Add(archive + "/data.pkl", StateDictPickle(tensors)));
  for (size_t i = 0; i < tensors.size(); ++i) {
    RETURN_IF_ERROR(zip.Add(absl::StrCat(archive, "/data/", i), tensors[i].bytes));
  }
  RETURN_IF_ERROR(zip.Add(archive + "/version", "3\n"));
  return zip.Finish();
}

}  // namespace ridge::exporter
