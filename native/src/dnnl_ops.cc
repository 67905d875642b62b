// oneDNN-backed kernels: 2-D convolution (plain and depthwise, forward with fused bias/ReLU, both
// gradients), batched matmul (fused bias/ReLU) and max/avg pooling with gradients. Activations stay in
// tfjs's NHWC layout (oneDNN runs nhwc directly); weights are given to oneDNN as strided HWIO views and
// reordered into the layout each primitive prefers. Primitives are cached by shape.
#include <omp.h>
#include <dnnl.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include "common.h"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace ll {
namespace {

// One engine, stream and primitive cache per JS thread: jobs run in worker_threads, which may load the
// addon side by side, and neither the caches nor a stream may be shared between threads unguarded.
engine& eng() {
  static thread_local engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static thread_local stream s(eng());
  return s;
}

// Conv geometry from JS: n h w c  oh ow oc  kh kw  sh sw  pt pl pb pr  dh dw  groups
struct Conv {
  int64_t n, h, w, c, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, g;
  explicit Conv(const std::vector<int64_t>& d)
      : n(d[0]), h(d[1]), w(d[2]), c(d[3]), oh(d[4]), ow(d[5]), oc(d[6]), kh(d[7]), kw(d[8]), sh(d[9]), sw(d[10]),
        pt(d[11]), pl(d[12]), pb(d[13]), pr(d[14]), dh(d[15]), dw(d[16]), g(d[17]) {}
  std::string key() const {
    std::string k;
    for (int64_t v : {n, h, w, c, oh, ow, oc, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, g}) k += std::to_string(v) + ",";
    return k;
  }
  memory::desc src() const { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({n, oc, oh, ow}, dt::f32, tag::nhwc); }
  memory::dims wdims() const {
    return g == 1 ? memory::dims{oc, c, kh, kw} : memory::dims{g, oc / g, c / g, kh, kw};
  }
  // tfjs filters: conv [kh][kw][c][oc]; depthwise [kh][kw][c][mult] (c == g, one input channel per group)
  memory::desc wuser() const {
    if (g == 1) return memory::desc(wdims(), dt::f32, memory::dims{1, oc, kw * c * oc, c * oc});
    const int64_t m = oc / g;
    return memory::desc(wdims(), dt::f32, memory::dims{m, 1, m, kw * c * m, c * m});
  }
  memory::desc wany() const { return memory::desc(wdims(), dt::f32, tag::any); }
  memory::desc bias() const { return memory::desc({oc}, dt::f32, tag::x); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dil() const { return {dh - 1, dw - 1}; }
  memory::dims padl() const { return {pt, pl}; }
  memory::dims padr() const { return {pb, pr}; }
  convolution_forward::desc fwdDesc(bool withBias) const {
    return convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src(), wany(),
                                     withBias ? bias() : memory::desc(), dst(), strides(), dil(), padl(), padr());
  }
};

// Reorders (if needed) between a user buffer and the layout a primitive wants; keeps the scratch buffer.
struct Staged {
  memory::desc user, want;
  bool needed = false;
  std::unique_ptr<memory> buf;
  Staged() = default;
  Staged(const memory::desc& u, const memory::desc& w) : user(u), want(w), needed(u != w) {
    if (needed) buf = std::make_unique<memory>(want, eng());
  }
  // user -> primitive layout
  memory in(float* p) {
    memory m(user, eng(), p);
    if (!needed) return m;
    reorder(m, *buf).execute(strm(), m, *buf);
    return *buf;
  }
  // memory the primitive writes; call out() after executing
  memory target(float* p) { return needed ? *buf : memory(user, eng(), p); }
  void out(float* p) {
    if (!needed) return;
    memory m(user, eng(), p);
    reorder(*buf, m).execute(strm(), *buf, m);
  }
};

struct ConvFwd {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  Staged w;
};
struct ConvBwdData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  Staged w;
};
struct ConvBwdWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  Staged dw;
};

template <typename T>
std::map<std::string, std::unique_ptr<T>>& cache() {
  static thread_local std::map<std::string, std::unique_ptr<T>> c;
  return c;
}

// conv2d(x, w, bias|null, y, dims, relu)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Conv p(ints(info[4], 18, "dims"));
  float* x = f32(info[0], "x");
  float* w = f32(info[1], "filter");
  float* b = f32OrNull(info[2], "bias");
  float* y = f32(info[3], "y");
  const bool relu = info[5].ToBoolean();
  const std::string key = p.key() + (b ? "b" : "") + (relu ? "r" : "");
  auto& c = cache<ConvFwd>()[key];
  if (!c) {
    primitive_attr attr;
    if (relu) {
      post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    convolution_forward::primitive_desc pd(p.fwdDesc(b != nullptr), attr, eng());
    c.reset(new ConvFwd{pd, convolution_forward(pd), Staged(p.wuser(), pd.weights_desc())});
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(p.src(), eng(), x)},
                                       {DNNL_ARG_WEIGHTS, c->w.in(w)},
                                       {DNNL_ARG_DST, memory(p.dst(), eng(), y)}};
  if (b) args.insert({DNNL_ARG_BIAS, memory(p.bias(), eng(), b)});
  c->prim.execute(strm(), args);
  strm().wait();
  return info.Env().Undefined();
}

// conv2dBackwardData(dy, w, dx, dims)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  Conv p(ints(info[3], 18, "dims"));
  float* dy = f32(info[0], "dy");
  float* w = f32(info[1], "filter");
  float* dx = f32(info[2], "dx");
  auto& c = cache<ConvBwdData>()[p.key()];
  if (!c) {
    convolution_forward::primitive_desc hint(p.fwdDesc(false), eng());
    convolution_backward_data::desc d(algorithm::convolution_direct, p.src(), p.wany(), p.dst(), p.strides(), p.dil(),
                                      p.padl(), p.padr());
    convolution_backward_data::primitive_desc pd(d, eng(), hint);
    c.reset(new ConvBwdData{pd, convolution_backward_data(pd), Staged(p.wuser(), pd.weights_desc())});
  }
  c->prim.execute(strm(), {{DNNL_ARG_DIFF_DST, memory(p.dst(), eng(), dy)},
                           {DNNL_ARG_WEIGHTS, c->w.in(w)},
                           {DNNL_ARG_DIFF_SRC, memory(p.src(), eng(), dx)}});
  strm().wait();
  return info.Env().Undefined();
}

// Weight gradient for few input channels (4 to 15; LeNet's second conv has 6): oneDNN's direct nhwc kernel
// ran at 8 GFLOP/s there, im2col + matmul at ~20-30 (measured: 3.9 -> 1.4 ms). With 3 channels (an RGB
// input layer) the direct kernel stayed faster (3.8 vs 4.8 ms), with 1 a loop of its own below is.
struct Im2colBwdW {
  matmul::primitive_desc pd;
  matmul prim;
  memory::desc a, b, c;
};
void im2colBackwardFilter(const Conv& p, const float* x, const float* dy, float* dw) {
  const int64_t rows = p.n * p.oh * p.ow, k = p.kh * p.kw * p.c;
  static thread_local std::vector<float> col;
  col.resize(size_t(rows * k));
  float* A = col.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = r / (p.oh * p.ow), oy = (r / p.ow) % p.oh, ox = r % p.ow;
    float* dst = A + r * k;
    for (int64_t i = 0; i < p.kh; i++) {
      const int64_t iy = oy * p.sh + i * p.dh - p.pt;
      for (int64_t j = 0; j < p.kw; j++, dst += p.c) {
        const int64_t ix = ox * p.sw + j * p.dw - p.pl;
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
          std::fill(dst, dst + p.c, 0.f);
        } else {
          const float* src = x + ((n * p.h + iy) * p.w + ix) * p.c;
          std::copy(src, src + p.c, dst);
        }
      }
    }
  }
  // one matmul per image (oneDNN splits a batch over the threads; one long reduction it would not), then
  // the per-image gradients summed
  const int64_t per = p.oh * p.ow;
  static thread_local std::vector<float> part;
  part.resize(size_t(p.n * k * p.oc));
  auto& c = cache<Im2colBwdW>()[p.key()];
  if (!c) {
    memory::desc ad({p.n, k, per}, dt::f32, memory::dims{per * k, 1, k});  // im2col^T of each image
    memory::desc bd({p.n, per, p.oc}, dt::f32, memory::dims{per * p.oc, p.oc, 1});
    memory::desc cd({p.n, k, p.oc}, dt::f32, memory::dims{k * p.oc, p.oc, 1});
    matmul::primitive_desc pd(matmul::desc(ad, bd, cd), eng());
    c.reset(new Im2colBwdW{pd, matmul(pd), ad, bd, cd});
  }
  c->prim.execute(strm(), {{DNNL_ARG_SRC, memory(c->a, eng(), A)},
                           {DNNL_ARG_WEIGHTS, memory(c->b, eng(), const_cast<float*>(dy))},
                           {DNNL_ARG_DST, memory(c->c, eng(), part.data())}});
  strm().wait();
  const int64_t m = k * p.oc;
  const float* P = part.data();
#pragma omp parallel for schedule(static) if (m * p.n >= 1 << 15)
  for (int64_t i = 0; i < m; i++) {
    double acc = 0;
    for (int64_t b = 0; b < p.n; b++) acc += P[b * m + i];
    dw[i] = float(acc);
  }
}

// Weight gradient with one input channel (an image model's first layer): oneDNN's direct kernel ran at
// 3.7 GFLOP/s and im2col + matmul no better; here dy is transposed per image to [oc][oy][ox] and every
// (oy, kh, kw, oc) term is a dot product along contiguous rows of x and dy, which the compiler vectorises.
void singleChannelBackwardFilter(const Conv& p, const float* x, const float* dy, float* dw) {
  const int64_t taps = p.kh * p.kw * p.oc;
  const int threads = omp_get_max_threads();
  std::vector<double> acc(size_t(threads * taps), 0.0);
#pragma omp parallel num_threads(threads)
  {
    std::vector<float> t(size_t(p.oc * p.oh * p.ow));
    double* a = acc.data() + omp_get_thread_num() * taps;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < p.n; n++) {
      const float* g = dy + n * p.oh * p.ow * p.oc;
      for (int64_t q = 0; q < p.oh * p.ow; q++)
        for (int64_t o = 0; o < p.oc; o++) t[size_t(o * p.oh * p.ow + q)] = g[q * p.oc + o];
      const float* xi = x + n * p.h * p.w;
      for (int64_t oy = 0; oy < p.oh; oy++) {
        for (int64_t i = 0; i < p.kh; i++) {
          const int64_t iy = oy * p.sh + i * p.dh - p.pt;
          if (iy < 0 || iy >= p.h) continue;
          const float* xr = xi + iy * p.w;
          for (int64_t j = 0; j < p.kw; j++) {
            // ox range whose input column ix = ox * sw + j * dw - pl lies inside the row
            const int64_t off = j * p.dw - p.pl;
            int64_t lo = 0, hi = p.ow;
            while (lo < hi && lo * p.sw + off < 0) lo++;
            while (hi > lo && (hi - 1) * p.sw + off >= p.w) hi--;
            for (int64_t o = 0; o < p.oc; o++) {
              const float* tr = t.data() + (o * p.oh + oy) * p.ow;
              float s = 0.f;
              if (p.sw == 1) {
                const float* xs = xr + off;
#pragma omp simd reduction(+ : s)
                for (int64_t ox = lo; ox < hi; ox++) s += xs[ox] * tr[ox];
              } else {
                for (int64_t ox = lo; ox < hi; ox++) s += xr[ox * p.sw + off] * tr[ox];
              }
              a[(i * p.kw + j) * p.oc + o] += s;
            }
          }
        }
      }
    }
  }
  for (int64_t k = 0; k < taps; k++) {
    double v = 0;
    for (int th = 0; th < threads; th++) v += acc[size_t(th * taps + k)];
    dw[k] = float(v);  // HWIO with one input channel: [kh][kw][oc]
  }
}

// conv2dBackwardFilter(x, dy, dw, dbias|null, dims)
Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  Conv p(ints(info[4], 18, "dims"));
  float* x = f32(info[0], "x");
  float* dy = f32(info[1], "dy");
  float* dw = f32(info[2], "dw");
  float* db = f32OrNull(info[3], "dbias");
  if (p.g == 1 && p.c == 1 && db == nullptr) {
    singleChannelBackwardFilter(p, x, dy, dw);
    return info.Env().Undefined();
  }
  if (p.g == 1 && p.c >= 4 && p.c < 16 && db == nullptr) {
    im2colBackwardFilter(p, x, dy, dw);
    return info.Env().Undefined();
  }
  const std::string key = p.key() + (db ? "b" : "");
  auto& c = cache<ConvBwdWeights>()[key];
  if (!c) {
    convolution_forward::primitive_desc hint(p.fwdDesc(db != nullptr), eng());
    convolution_backward_weights::desc d(algorithm::convolution_direct, p.src(), p.wany(),
                                         db ? p.bias() : memory::desc(), p.dst(), p.strides(), p.dil(), p.padl(),
                                         p.padr());
    convolution_backward_weights::primitive_desc pd(d, eng(), hint);
    c.reset(new ConvBwdWeights{pd, convolution_backward_weights(pd), Staged(p.wuser(), pd.diff_weights_desc())});
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(p.src(), eng(), x)},
                                       {DNNL_ARG_DIFF_DST, memory(p.dst(), eng(), dy)},
                                       {DNNL_ARG_DIFF_WEIGHTS, c->dw.target(dw)}};
  if (db) args.insert({DNNL_ARG_DIFF_BIAS, memory(p.bias(), eng(), db)});
  c->prim.execute(strm(), args);
  c->dw.out(dw);
  strm().wait();
  return info.Env().Undefined();
}

// matmul(a, b, bias|null, out, dims[batchA, batchB, m, k, n, transA, transB], relu)
struct MatMul {
  matmul::primitive_desc pd;
  matmul prim;
  memory::desc a, b, bias, c;
};
Napi::Value MatMulOp(const Napi::CallbackInfo& info) {
  auto d = ints(info[4], 7, "dims");
  const int64_t ba = d[0], bb = d[1], m = d[2], k = d[3], n = d[4];
  const bool ta = d[5] != 0, tb = d[6] != 0, relu = info[5].ToBoolean();
  float* a = f32(info[0], "a");
  float* b = f32(info[1], "b");
  float* bias = f32OrNull(info[2], "bias");
  float* out = f32(info[3], "out");
  std::string key;
  for (int64_t v : d) key += std::to_string(v) + ",";
  key += std::string(bias ? "b" : "") + (relu ? "r" : "");
  auto& c = cache<MatMul>()[key];
  if (!c) {
    const int64_t bo = std::max(ba, bb);
    memory::desc ad({ba, m, k}, dt::f32, ta ? memory::dims{k * m, 1, m} : memory::dims{m * k, k, 1});
    memory::desc bd({bb, k, n}, dt::f32, tb ? memory::dims{n * k, 1, k} : memory::dims{k * n, n, 1});
    memory::desc biasd({1, 1, n}, dt::f32, memory::dims{n, n, 1});
    memory::desc cd({bo, m, n}, dt::f32, memory::dims{m * n, n, 1});
    primitive_attr attr;
    if (relu) {
      post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    matmul::desc md = bias ? matmul::desc(ad, bd, biasd, cd) : matmul::desc(ad, bd, cd);
    matmul::primitive_desc pd(md, attr, eng());
    c.reset(new MatMul{pd, matmul(pd), ad, bd, biasd, cd});
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(c->a, eng(), a)},
                                       {DNNL_ARG_WEIGHTS, memory(c->b, eng(), b)},
                                       {DNNL_ARG_DST, memory(c->c, eng(), out)}};
  if (bias) args.insert({DNNL_ARG_BIAS, memory(c->bias, eng(), bias)});
  c->prim.execute(strm(), args);
  strm().wait();
  return info.Env().Undefined();
}

// Pool geometry: n h w c  oh ow  kh kw  sh sw  pt pl pb pr  max(1)/avg(0)
struct Pool {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;
  bool max;
  explicit Pool(const std::vector<int64_t>& d)
      : n(d[0]), h(d[1]), w(d[2]), c(d[3]), oh(d[4]), ow(d[5]), kh(d[6]), kw(d[7]), sh(d[8]), sw(d[9]), pt(d[10]),
        pl(d[11]), pb(d[12]), pr(d[13]), max(d[14] != 0) {}
  std::string key() const {
    std::string k;
    for (int64_t v : {n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, int64_t(max)}) k += std::to_string(v) + ",";
    return k;
  }
  memory::desc src() const { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({n, c, oh, ow}, dt::f32, tag::nhwc); }
  // tfjs averages over the valid pixels going forward but spreads gradients over the whole window
  // (its AvgPoolGrad divides by kh * kw): the same here, so that results equal its cpu backend's
  algorithm alg(bool backward) const {
    return max ? algorithm::pooling_max
               : backward ? algorithm::pooling_avg_include_padding : algorithm::pooling_avg_exclude_padding;
  }
  pooling_forward::desc fwd(prop_kind pk, bool backward = false) const {
    return pooling_forward::desc(pk, alg(backward), src(), dst(), {sh, sw}, {kh, kw}, {pt, pl}, {pb, pr});
  }
};
struct PoolFwd {
  pooling_forward::primitive_desc pd;
  pooling_forward prim;
};
struct PoolBwd {
  pooling_forward::primitive_desc fpd;
  pooling_forward fprim;  // max: recomputes the forward pass for its workspace (argmax positions)
  pooling_backward::primitive_desc pd;
  pooling_backward prim;
  std::unique_ptr<memory> ws, y;
};

// pool(x, y, dims)
Napi::Value PoolOp(const Napi::CallbackInfo& info) {
  Pool p(ints(info[2], 15, "dims"));
  float* x = f32(info[0], "x");
  float* y = f32(info[1], "y");
  auto& c = cache<PoolFwd>()[p.key()];
  if (!c) {
    pooling_forward::primitive_desc pd(p.fwd(prop_kind::forward_inference), eng());
    c.reset(new PoolFwd{pd, pooling_forward(pd)});
  }
  c->prim.execute(strm(), {{DNNL_ARG_SRC, memory(p.src(), eng(), x)}, {DNNL_ARG_DST, memory(p.dst(), eng(), y)}});
  strm().wait();
  return info.Env().Undefined();
}

// poolBackward(dy, x, dx, dims)
Napi::Value PoolBackward(const Napi::CallbackInfo& info) {
  Pool p(ints(info[3], 15, "dims"));
  float* dy = f32(info[0], "dy");
  float* x = f32(info[1], "x");
  float* dx = f32(info[2], "dx");
  auto& c = cache<PoolBwd>()[p.key()];
  if (!c) {
    pooling_forward::primitive_desc fpd(p.fwd(prop_kind::forward_training, true), eng());
    pooling_backward::desc bd(p.alg(true), p.src(),
                              p.dst(), {p.sh, p.sw}, {p.kh, p.kw}, {p.pt, p.pl}, {p.pb, p.pr});
    pooling_backward::primitive_desc pd(bd, eng(), fpd);
    c.reset(new PoolBwd{fpd, pooling_forward(fpd), pd, pooling_backward(pd), nullptr, nullptr});
    if (p.max) {
      c->ws = std::make_unique<memory>(fpd.workspace_desc(), eng());
      c->y = std::make_unique<memory>(p.dst(), eng());
    }
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, memory(p.dst(), eng(), dy)},
                                       {DNNL_ARG_DIFF_SRC, memory(p.src(), eng(), dx)}};
  if (p.max) {
    c->fprim.execute(strm(), {{DNNL_ARG_SRC, memory(p.src(), eng(), x)},
                              {DNNL_ARG_DST, *c->y},
                              {DNNL_ARG_WORKSPACE, *c->ws}});
    args.insert({DNNL_ARG_WORKSPACE, *c->ws});
  }
  c->prim.execute(strm(), args);
  strm().wait();
  return info.Env().Undefined();
}

// implementations oneDNN chose, for profiling ("jit:avx512_core", "brg:...", "ref:any" = slow path)
Napi::Value Impls(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  for (auto& [k, v] : cache<ConvFwd>()) out.Set("conv:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<ConvBwdData>()) out.Set("convBwdData:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<ConvBwdWeights>()) out.Set("convBwdWeights:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<MatMul>()) out.Set("matmul:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<Im2colBwdW>()) out.Set("convBwdWeightsIm2col:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<PoolFwd>()) out.Set("pool:" + k, v->pd.impl_info_str());
  for (auto& [k, v] : cache<PoolBwd>()) out.Set("poolBwd:" + k, v->pd.impl_info_str());
  return out;
}

// oneDNN errors become JS errors carrying its message
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  }
}

}  // namespace

void initDnnl(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, guarded<Conv2d>));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, guarded<Conv2dBackwardData>));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, guarded<Conv2dBackwardFilter>));
  exports.Set("matmul", Napi::Function::New(env, guarded<MatMulOp>));
  exports.Set("pool", Napi::Function::New(env, guarded<PoolOp>));
  exports.Set("poolBackward", Napi::Function::New(env, guarded<PoolBackward>));
  exports.Set("impls", Napi::Function::New(env, Impls));
  exports.Set("dnnlVersion", Napi::String::New(env, std::to_string(dnnl_version()->major) + "." +
                                                         std::to_string(dnnl_version()->minor) + "." +
                                                         std::to_string(dnnl_version()->patch)));
}

}  // namespace ll
