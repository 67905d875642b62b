// LayerLens native kernels for the tfjs 'native' backend (src/engine/backend/native): oneDNN primitives for
// convolution, matmul and pooling; plain C++/OpenMP loops for the element-wise ops and reductions.
#include <malloc.h>
#include <omp.h>
#include "common.h"

static Napi::Value Threads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef M_MMAP_THRESHOLD
  // Tensors of a few MB are allocated and freed hundreds of times per training step. glibc serves them with
  // fresh mmap()s (zeroed by the kernel, faulted in page by page); from its heap they are reused warm, as a
  // caching allocator would (PyTorch keeps one too). Freed memory above 256 MB is still given back.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  exports.Set("threads", Napi::Function::New(env, Threads));
  ll::initDnnl(env, exports);
  ll::initEltwise(env, exports);
  return exports;
}

NODE_API_MODULE(layerlens_native, Init)
