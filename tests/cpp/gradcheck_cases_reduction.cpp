// Gradient-check cases: reductions, batched matmul, fused nn ops.
#include "gradcheck_cases.h"

namespace tg {

std::vector<GradCase> reduction_grad_cases() {
  std::vector<GradCase> cases;
  return cases;
}

}  // namespace tg
