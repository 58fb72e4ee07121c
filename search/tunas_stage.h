// Internal to TunasSearch: what one stage searches and trains.
#ifndef RIDGE_SEARCH_TUNAS_STAGE_H_
#define RIDGE_SEARCH_TUNAS_STAGE_H_

#include <memory>
#include <vector>

#include "search/tunas.h"

namespace ridge::search {

struct TunasSearch::Stage {
  CampaignState which = COARSE;
  std::unique_ptr<DecisionSpace> decisions;
  std::unique_ptr<nn::Supernet> supernet;
  std::unique_ptr<nn::Optimizer> optimizer;
  std::vector<std::unique_ptr<Policy>> policies;  // One per target, over `decisions`.
};

}  // namespace ridge::search

#endif  // RIDGE_SEARCH_TUNAS_STAGE_H_
