#include "worker/context.hpp"

namespace tach::worker {

Context &context() {
    static Context instance;
    return instance;
}

}  // namespace tach::worker
