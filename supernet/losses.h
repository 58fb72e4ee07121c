// Training losses and their gradients with respect to the logits, as means
// over the batch: cross-entropy with label smoothing, and distillation from a
// teacher's softened predictions (docs/design.md §3).
#ifndef RIDGE_SUPERNET_LOSSES_H_
#define RIDGE_SUPERNET_LOSSES_H_

#include <vector>

#include "supernet/tensor.h"

namespace ridge::nn {

// Softmax cross-entropy of `logits` (n x classes) against `labels`, with
// label smoothing: the target puts 1 - smoothing + smoothing/k on the label
// and smoothing/k on every class. Returns the mean loss and writes its
// gradient to `dlogits`.
float SoftmaxCrossEntropy(const Tensor& logits, const int* labels, float smoothing, Tensor* dlogits);

// softmax(logits / temperature), row by row, into `probs` (n x classes).
void SoftenedProbabilities(const Tensor& logits, float temperature, std::vector<float>* probs);

// How a student learns from a teacher (Hinton, Vinyals and Dean 2015,
// "Distilling the Knowledge in a Neural Network", Sec. 2):
//   loss = (1 - alpha) * CE_smoothed(labels) + alpha * T^2 * CE(p_teacher, softmax(z / T))
// with p_teacher already softened at the same temperature T. The T^2 keeps
// the soft term's gradients on the scale of the hard term's as T changes.
struct DistillWeights {
  float temperature = 1;
  float alpha = 1;  // 1: the teacher alone; 0: the labels alone.
  float label_smoothing = 0;
};

// The loss above for `logits` (n x k), `labels` and `teacher` (n x k rows
// that each sum to 1). Returns the mean loss and writes its gradient to
// `dlogits`: (1 - alpha) * (softmax(z) - y_smoothed) + alpha * T * (softmax(z/T) - p_teacher), over n.
float DistillationLoss(const Tensor& logits, const int* labels, const float* teacher, const DistillWeights& weights,
                       Tensor* dlogits);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_LOSSES_H_
