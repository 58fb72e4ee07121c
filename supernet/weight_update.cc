#include "supernet/weight_update.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/losses.h"

namespace ridge::nn {
namespace {

// The teacher's rows for the batch's images, one after another.
absl::Status GatherTeacher(const SoftLabels& teacher, const Batch& batch, std::vector<float>* rows) {
  rows->resize(batch.indices.size() * teacher.classes);
  for (size_t i = 0; i < batch.indices.size(); ++i) {
    const int64_t index = batch.indices[i];
    if (index < 0 || index >= teacher.count()) {
      return absl::InvalidArgumentError(absl::StrCat("soft labels: image ", index, " has none (the file has ",
                                                     teacher.count(), ")"));
    }
    std::copy(teacher.row(index), teacher.row(index) + teacher.classes, rows->data() + i * teacher.classes);
  }
  return absl::OkStatus();
}

absl::StatusOr<float> Loss(const Tensor& logits, const Batch& batch, const LossOptions& o, Tensor* dlogits) {
  if (o.teacher == nullptr) return SoftmaxCrossEntropy(logits, batch.labels.data(), o.label_smoothing, dlogits);
  if (o.teacher->classes != logits.dims().c) {
    return absl::InvalidArgumentError(absl::StrCat("soft labels: ", o.teacher->classes, " classes; the network has ",
                                                   logits.dims().c));
  }
  std::vector<float> rows;
  RETURN_IF_ERROR(GatherTeacher(*o.teacher, batch, &rows));
  return DistillationLoss(logits, batch.labels.data(), rows.data(),
                          {o.teacher->temperature, o.teacher_alpha, o.label_smoothing}, dlogits);
}

}  // namespace

absl::StatusOr<float> AccumulateGradients(Trainable* net, const Batch& batch, const LossOptions& options) {
  ASSIGN_OR_RETURN(const Tensor* logits, net->Forward(batch.images, {true, 0.1f}));
  Tensor dlogits;
  ASSIGN_OR_RETURN(float loss, Loss(*logits, batch, options, &dlogits));
  RETURN_IF_ERROR(net->Backward(dlogits));
  return loss;
}

absl::StatusOr<float> SandwichGradients(Supernet* net, const Batch& batch, const SpaceChoice& largest,
                                        const SpaceChoice& smallest, const std::vector<SpaceChoice>& others,
                                        const LossOptions& options) {
  RETURN_IF_ERROR(net->Select(largest));
  ASSIGN_OR_RETURN(const Tensor* logits, net->Forward(batch.images, {true, 0.1f}));
  Tensor dlogits;
  ASSIGN_OR_RETURN(const float loss, Loss(*logits, batch, options, &dlogits));
  std::vector<float> soft;
  SoftenedProbabilities(*logits, 1.0f, &soft);  // Copied before the next forward reuses the buffers.
  RETURN_IF_ERROR(net->Backward(dlogits));
  std::vector<const SpaceChoice*> students = {&smallest};
  for (const SpaceChoice& c : others) students.push_back(&c);
  for (const SpaceChoice* c : students) {
    RETURN_IF_ERROR(net->Select(*c));
    ASSIGN_OR_RETURN(const Tensor* student, net->Forward(batch.images, {true, 0.1f}));
    DistillationLoss(*student, batch.labels.data(), soft.data(), {1.0f, 1.0f, 0.0f}, &dlogits);
    RETURN_IF_ERROR(net->Backward(dlogits));
  }
  return loss;
}

}  // namespace ridge::nn
