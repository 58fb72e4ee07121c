#include "supernet/proxy.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/optimizer.h"
#include "supernet/trainer.h"

namespace ridge::nn {

absl::StatusOr<double> ProxyAccuracy(Supernet* net, const Split& train, const Split& valid,
                                     const ProxyOptions& o) {
  RETURN_IF_ERROR(net->RecalibrateBatchNorm(train, o.recalibration_images));
  if (o.finetune_steps <= 0) {
    return Evaluate([net](const Tensor& x, const ForwardContext& ctx) { return net->Forward(x, ctx); }, valid);
  }
  if (o.finetune_steps > 100000) {
    return absl::InvalidArgumentError(absl::StrCat("finetune_steps: ", o.finetune_steps, " must be <= 100000"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Network> subnet, net->Extract());
  Optimizer optimizer(&subnet->params(), OptimizerOptions{});
  TrainOptions t;
  // One epoch's cosine schedule, stopped after `finetune_steps`: the rate
  // stays near its peak, as a short adaptation wants.
  t.epochs = 1 + o.finetune_steps * o.batch_size / std::max<int64_t>(train.count, 1);
  t.max_steps = o.finetune_steps;
  t.batch_size = o.batch_size;
  t.learning_rate = o.finetune_learning_rate;
  t.augment = false;
  t.seed = o.seed;
  RETURN_IF_ERROR(Train(subnet.get(), &optimizer, train, t).status());
  return Evaluate([&subnet](const Tensor& x, const ForwardContext& ctx) { return subnet->Forward(x, ctx); }, valid);
}

}  // namespace ridge::nn
