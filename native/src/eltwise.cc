// Element-wise ops, reductions, batch-norm inference and optimizer updates as plain loops: memory-bound,
// so the compiler's vectorisation of the baseline ISA is enough (portable, no dispatch needed); OpenMP
// splits the big ones over the cores.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include "common.h"

namespace ll {
namespace {

constexpr int64_t PAR_MIN = 1 << 15;  // below this a parallel region costs more than it saves

// Operand addressing in the output viewed as [outer, inner]: full, row (one value per column j, i.e. a
// trailing-dims operand like a bias), col (one value per row o), scalar.
enum Mode { FULL = 0, ROW = 1, COL = 2, SCALAR = 3 };

template <int M>
inline float at(const float* p, int64_t o, int64_t j, int64_t inner) {
  if constexpr (M == FULL) return p[o * inner + j];
  if constexpr (M == ROW) return p[j];
  if constexpr (M == COL) return p[o];
  return p[0];
}

template <int OP>
inline float apply(float a, float b) {
  if constexpr (OP == 0) return a + b;
  if constexpr (OP == 1) return a - b;
  if constexpr (OP == 2) return a * b;
  if constexpr (OP == 3) return a / b;
  if constexpr (OP == 4) return (a - b) * (a - b);
  if constexpr (OP == 5) return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  if constexpr (OP == 6) return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  if constexpr (OP == 7) return a * (b * 2.f);  // gradient of square: dy * 2x
  return 0.f;
}

template <int OP, int MA, int MB>
void binaryLoop(const float* a, const float* b, float* out, int64_t outer, int64_t inner) {
  if constexpr ((MA == FULL || MA == SCALAR) && (MB == FULL || MB == SCALAR)) {
    // no row structure: one flat loop, split evenly over the threads
    const int64_t n = outer * inner;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = apply<OP>(MA == FULL ? a[i] : a[0], MB == FULL ? b[i] : b[0]);
  } else {
#pragma omp parallel for schedule(static) if (outer * inner >= PAR_MIN && outer > 1)
    for (int64_t o = 0; o < outer; o++) {
      float* dst = out + o * inner;
      for (int64_t j = 0; j < inner; j++) dst[j] = apply<OP>(at<MA>(a, o, j, inner), at<MB>(b, o, j, inner));
    }
  }
}

using BinFn = void (*)(const float*, const float*, float*, int64_t, int64_t);

template <int OP, int MA>
BinFn pickB(int mb) {
  switch (mb) {
    case FULL: return binaryLoop<OP, MA, FULL>;
    case ROW: return binaryLoop<OP, MA, ROW>;
    case COL: return binaryLoop<OP, MA, COL>;
    default: return binaryLoop<OP, MA, SCALAR>;
  }
}
template <int OP>
BinFn pickA(int ma, int mb) {
  switch (ma) {
    case FULL: return pickB<OP, FULL>(mb);
    case ROW: return pickB<OP, ROW>(mb);
    case COL: return pickB<OP, COL>(mb);
    default: return pickB<OP, SCALAR>(mb);
  }
}
BinFn pick(int op, int ma, int mb) {
  switch (op) {
    case 0: return pickA<0>(ma, mb);
    case 1: return pickA<1>(ma, mb);
    case 2: return pickA<2>(ma, mb);
    case 3: return pickA<3>(ma, mb);
    case 4: return pickA<4>(ma, mb);
    case 5: return pickA<5>(ma, mb);
    case 6: return pickA<6>(ma, mb);
    case 7: return pickA<7>(ma, mb);
    default: return nullptr;
  }
}

// binary(op, a, b, out, [outer, inner, modeA, modeB]); ops: add sub mul div sqdiff max min, 7: a * 2b
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto d = ints(info[4], 4, "dims");
  BinFn f = pick(op, int(d[2]), int(d[3]));
  need(info.Env(), f != nullptr, "binary: unknown op");
  f(f32(info[1], "a"), f32(info[2], "b"), f32(info[3], "out"), d[0], d[1]);
  return info.Env().Undefined();
}

// binaryStrided(op, a, b, out, [rank, shape..., aStrides..., bStrides...]): any broadcast; an operand's stride
// is 0 along the axes it is broadcast over. Rows of the last axis are the inner loop, the rows before it are
// split over the threads.
template <int OP>
void stridedLoop(const float* a, const float* b, float* out, const std::vector<int64_t>& shape, const std::vector<int64_t>& sa,
                 const std::vector<int64_t>& sb) {
  const int r = int(shape.size());
  const int64_t inner = shape[size_t(r - 1)], ia = sa[size_t(r - 1)], ib = sb[size_t(r - 1)];
  int64_t rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= shape[size_t(d)];
#pragma omp parallel for schedule(static) if (rows * inner >= PAR_MIN && rows > 1)
  for (int64_t row = 0; row < rows; row++) {
    int64_t oa = 0, ob = 0, rem = row;
    for (int d = r - 2; d >= 0; d--) {
      const int64_t i = rem % shape[size_t(d)];
      rem /= shape[size_t(d)];
      oa += i * sa[size_t(d)];
      ob += i * sb[size_t(d)];
    }
    const float* pa = a + oa;
    const float* pb = b + ob;
    float* dst = out + row * inner;
    for (int64_t j = 0; j < inner; j++) dst[j] = apply<OP>(pa[j * ia], pb[j * ib]);
  }
}

Napi::Value BinaryStrided(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto head = info[4].As<Napi::Int32Array>();
  need(info.Env(), head.ElementLength() >= 1, "binaryStrided: dims");
  const size_t r = size_t(head[0]);
  auto d = ints(info[4], 1 + 3 * r, "dims");
  need(info.Env(), r >= 1, "binaryStrided: rank 0");
  std::vector<int64_t> shape(d.begin() + 1, d.begin() + 1 + long(r)), sa(d.begin() + 1 + long(r), d.begin() + 1 + 2 * long(r)),
      sb(d.begin() + 1 + 2 * long(r), d.end());
  const float* a = f32(info[1], "a");
  const float* b = f32(info[2], "b");
  float* out = f32(info[3], "out");
  switch (op) {
    case 0: stridedLoop<0>(a, b, out, shape, sa, sb); break;
    case 1: stridedLoop<1>(a, b, out, shape, sa, sb); break;
    case 2: stridedLoop<2>(a, b, out, shape, sa, sb); break;
    case 3: stridedLoop<3>(a, b, out, shape, sa, sb); break;
    case 4: stridedLoop<4>(a, b, out, shape, sa, sb); break;
    case 5: stridedLoop<5>(a, b, out, shape, sa, sb); break;
    case 6: stridedLoop<6>(a, b, out, shape, sa, sb); break;
    default: throw Napi::Error::New(info.Env(), "binaryStrided: unknown op");
  }
  return info.Env().Undefined();
}

template <int OP>
inline float unary(float x, float alpha) {
  if constexpr (OP == 0) return x > 0.f ? x : (std::isnan(x) ? x : 0.f);  // relu
  if constexpr (OP == 1) return std::isnan(x) ? x : (x > 0.f ? 1.f : alpha);  // step
  if constexpr (OP == 2) return -x;
  if constexpr (OP == 3) return x * x;
  if constexpr (OP == 4) return std::sqrt(x);
  if constexpr (OP == 5) return 1.f / std::sqrt(x);
  if constexpr (OP == 6) return std::exp(x);
  if constexpr (OP == 7) return std::log(x);
  if constexpr (OP == 8) return std::fabs(x);
  if constexpr (OP == 9) return std::isnan(x) ? x : std::min(std::max(x, 0.f), 6.f);  // relu6
  if constexpr (OP == 10) return 1.f / (1.f + std::exp(-x));                           // sigmoid
  if constexpr (OP == 11) return std::tanh(x);
  return 0.f;
}

template <int OP>
void unaryLoop(const float* x, float* out, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) out[i] = unary<OP>(x[i], alpha);
}

// unary(op, x, out, alpha); ops: relu step neg square sqrt rsqrt exp log abs relu6 sigmoid tanh
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const float* x = f32(info[1], "x");
  float* out = f32(info[2], "out");
  const int64_t n = int64_t(std::min(len(info[1]), len(info[2])));
  const float alpha = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().FloatValue() : 0.f;
  using F = void (*)(const float*, float*, int64_t, float);
  static const F fns[] = {unaryLoop<0>, unaryLoop<1>, unaryLoop<2>, unaryLoop<3>, unaryLoop<4>,  unaryLoop<5>,
                          unaryLoop<6>, unaryLoop<7>, unaryLoop<8>, unaryLoop<9>, unaryLoop<10>, unaryLoop<11>};
  need(info.Env(), op >= 0 && op < int(sizeof(fns) / sizeof(fns[0])), "unary: unknown op");
  fns[op](x, out, n, alpha);
  return info.Env().Undefined();
}

// reduce(op, x, out, [outer, mid, inner]): out[o, j] = op over m of x[o, m, j]; ops: sum mean max min.
// Sums accumulate in double, like tfjs's cpu backend (JS numbers).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const float* x = f32(info[1], "x");
  float* out = f32(info[2], "out");
  auto d = ints(info[3], 3, "dims");
  const int64_t outer = d[0], mid = d[1], inner = d[2];
  const bool additive = op == 0 || op == 1;
  const double init = additive ? 0.0 : (op == 2 ? -INFINITY : INFINITY);
  auto fold = [op](double acc, float v) -> double {
    if (op <= 1) return acc + v;
    if (std::isnan(v) || std::isnan(acc)) return NAN;
    return op == 2 ? std::max(acc, double(v)) : std::min(acc, double(v));
  };
  auto finish = [&](double acc) { return float(op == 1 ? acc / double(mid) : acc); };
  const int64_t total = outer * mid * inner;
  const int threads = omp_get_max_threads();
  if (inner == 1) {
    // rows: out[o] = fold over a contiguous row
#pragma omp parallel for schedule(static) if (total >= PAR_MIN && outer > 1)
    for (int64_t o = 0; o < outer; o++) {
      const float* r = x + o * mid;
      double acc = init;
      if (additive) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t m = 0;
        for (; m + 4 <= mid; m += 4) s0 += r[m], s1 += r[m + 1], s2 += r[m + 2], s3 += r[m + 3];
        for (; m < mid; m++) s0 += r[m];
        acc = (s0 + s1) + (s2 + s3);
      } else {
        for (int64_t m = 0; m < mid; m++) acc = fold(acc, r[m]);
      }
      out[o] = finish(acc);
    }
  } else if (outer >= threads || total < PAR_MIN || threads == 1) {
#pragma omp parallel for schedule(static) if (total >= PAR_MIN && outer > 1)
    for (int64_t o = 0; o < outer; o++) {
      std::vector<double> acc(size_t(inner), init);
      for (int64_t m = 0; m < mid; m++) {
        const float* r = x + (o * mid + m) * inner;
        if (additive) {
          for (int64_t j = 0; j < inner; j++) acc[j] += r[j];
        } else {
          for (int64_t j = 0; j < inner; j++) acc[j] = fold(acc[j], r[j]);
        }
      }
      for (int64_t j = 0; j < inner; j++) out[o * inner + j] = finish(acc[j]);
    }
  } else {
    // few outputs, long columns (e.g. NHWC -> C): each thread folds a slice of rows, then the slices combine
    std::vector<std::vector<double>> part(size_t(threads), std::vector<double>(size_t(outer * inner), init));
#pragma omp parallel num_threads(threads)
    {
      auto& acc = part[size_t(omp_get_thread_num())];
#pragma omp for schedule(static)
      for (int64_t m = 0; m < mid; m++) {
        for (int64_t o = 0; o < outer; o++) {
          const float* r = x + (o * mid + m) * inner;
          double* a = acc.data() + o * inner;
          if (additive) {
            for (int64_t j = 0; j < inner; j++) a[j] += r[j];
          } else {
            for (int64_t j = 0; j < inner; j++) a[j] = fold(a[j], r[j]);
          }
        }
      }
    }
    for (int64_t i = 0; i < outer * inner; i++) {
      double acc = part[0][size_t(i)];
      for (int t = 1; t < threads; t++) acc = additive ? acc + part[size_t(t)][size_t(i)] : fold(acc, float(part[size_t(t)][size_t(i)]));
      out[i] = finish(acc);
    }
  }
  return info.Env().Undefined();
}

// batchNorm(x, mean, variance, offset|null, scale|null, out, channels, eps): per-channel affine over the
// last axis; each parameter has `channels` values or one
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0], "x");
  const float* mean = f32(info[1], "mean");
  const float* var = f32(info[2], "variance");
  const float* offset = f32OrNull(info[3], "offset");
  const float* scale = f32OrNull(info[4], "scale");
  float* out = f32(info[5], "out");
  const int64_t c = info[6].As<Napi::Number>().Int64Value();
  const float eps = info[7].As<Napi::Number>().FloatValue();
  const int64_t n = int64_t(len(info[0]));
  // per-channel factors once (a parameter may hold one value for all channels); then one pass over x
  auto expand = [&](const float* p, size_t i, float dflt) {
    std::vector<float> v(static_cast<size_t>(c), dflt);
    if (p != nullptr) {
      const bool one = len(info[i]) == 1;
      for (int64_t k = 0; k < c; k++) v[size_t(k)] = one ? p[0] : p[k];
    }
    return v;
  };
  const std::vector<float> mu = expand(mean, 1, 0.f), va = expand(var, 2, 0.f), off = expand(offset, 3, 0.f),
                           sc = expand(scale, 4, 1.f);
  std::vector<float> a(static_cast<size_t>(c));
  for (size_t k = 0; k < size_t(c); k++) a[k] = sc[k] / std::sqrt(va[k] + eps);
  const int64_t rows = n / c;
  const float* A = a.data();
  const float* M = mu.data();
  const float* O = off.data();
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* o = out + r * c;
    for (int64_t k = 0; k < c; k++) o[k] = (xr[k] - M[k]) * A[k] + O[k];
  }
  return info.Env().Undefined();
}

// reluGrad(dy, x, out): dy where x > 0, else 0 (NaN stays NaN), one pass instead of tfjs's step + multiply
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0], "dy");
  const float* x = f32(info[1], "x");
  float* out = f32(info[2], "out");
  const int64_t n = int64_t(len(info[2]));
  // both loads unconditional and the choice a select: the loop vectorises (with a conditional load it
  // compiled to a branch that random signs mispredict half the time: 5x slower)
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    const float g = dy[i], v = x[i];
    out[i] = v > 0.f ? g : (v != v ? v : 0.f);
  }
  return info.Env().Undefined();
}

// Per-channel sums over the rows of x viewed as [rows, c], in double, split over the threads: returns
// sum(a) and sum(a * (b - shift)) (b == nullptr: sum(a * a)).
static void channelSums(const float* a, const float* b, const float* shift, int64_t rows, int64_t c, std::vector<double>& s1,
                        std::vector<double>& s2) {
  const int threads = rows * c >= PAR_MIN ? omp_get_max_threads() : 1;
  s1.assign(size_t(c), 0.0);
  s2.assign(size_t(c), 0.0);
  // each thread sums into its own vectors (partials side by side in one array shared cache lines between
  // the threads' hot accumulators: 3.0 ms instead of 0.4 per 1M elements), then they are added up
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> l1(size_t(c), 0.0), l2(size_t(c), 0.0);
    double* __restrict q1 = l1.data();
    double* __restrict q2 = l2.data();
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* __restrict ar = a + r * c;
      if (b != nullptr) {
        const float* __restrict br = b + r * c;
#pragma omp simd
        for (int64_t k = 0; k < c; k++) {
          q1[k] += ar[k];
          q2[k] += double(ar[k]) * double(br[k] - shift[k]);
        }
      } else {
#pragma omp simd
        for (int64_t k = 0; k < c; k++) {
          q1[k] += ar[k];
          q2[k] += double(ar[k]) * double(ar[k]);
        }
      }
    }
#pragma omp critical
    for (int64_t k = 0; k < c; k++) s1[size_t(k)] += q1[k], s2[size_t(k)] += q2[k];
  }
}

// batchNormGrad(dy, x, mean, variance, scale|null, eps, dx, dmean, dvariance, dscale, doffset): all the
// gradients of FusedBatchNorm over the last axis (c channels, per-channel parameters) in two passes
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0], "dy");
  const float* x = f32(info[1], "x");
  const float* mean = f32(info[2], "mean");
  const float* var = f32(info[3], "variance");
  const float* scale = f32OrNull(info[4], "scale");
  const float eps = info[5].As<Napi::Number>().FloatValue();
  float* dx = f32(info[6], "dx");
  float* dmean = f32(info[7], "dmean");
  float* dvar = f32(info[8], "dvariance");
  float* dscale = f32(info[9], "dscale");
  float* doff = f32(info[10], "doffset");
  const int64_t c = int64_t(len(info[2]));
  const int64_t rows = int64_t(len(info[1])) / c;
  std::vector<double> sdy, sdx;
  channelSums(dy, x, mean, rows, c, sdy, sdx);
  std::vector<float> mulx(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; k++) {
    const double s1 = sdy[size_t(k)], s2 = sdx[size_t(k)];
    const double rs = 1.0 / std::sqrt(double(var[k]) + double(eps));
    const double sc = scale ? scale[k] : 1.0;
    mulx[size_t(k)] = float(sc * rs);
    dmean[k] = float(-sc * rs * s1);
    dvar[k] = float(sc * -0.5 * rs * rs * rs * s2);
    dscale[k] = float(s2 * rs);
    doff[k] = float(s1);
  }
  const float* mx = mulx.data();
#pragma omp parallel for schedule(static) if (rows * c >= PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float* d = dy + r * c;
    float* o = dx + r * c;
    for (int64_t k = 0; k < c; k++) o[k] = d[k] * mx[k];
  }
  return info.Env().Undefined();
}

// moments(x, mean, variance): per-channel mean and (biased) variance over the last axis in one pass
Napi::Value Moments(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0], "x");
  float* mean = f32(info[1], "mean");
  float* var = f32(info[2], "variance");
  const int64_t c = int64_t(len(info[1]));
  const int64_t rows = int64_t(len(info[0])) / c;
  std::vector<double> s1, s2;
  channelSums(x, nullptr, nullptr, rows, c, s1, s2);
  for (int64_t k = 0; k < c; k++) {
    const double m = s1[size_t(k)] / double(rows);
    mean[k] = float(m);
    var[k] = float(std::max(0.0, s2[size_t(k)] / double(rows) - m * m));
  }
  return info.Env().Undefined();
}

// bnTrainGrad(dy, x, mean, variance, gamma, eps, dx, dgamma, dbeta): gradients of training-mode batch norm
// (batch statistics, their dependence on x included) in two passes:
// dx = gamma rs (dy - sum(dy)/N - xhat sum(dy xhat)/N), dgamma = sum(dy xhat), dbeta = sum(dy)
Napi::Value BnTrainGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info[0], "dy");
  const float* x = f32(info[1], "x");
  const float* mean = f32(info[2], "mean");
  const float* var = f32(info[3], "variance");
  const float* gamma = f32(info[4], "gamma");
  const double eps = info[5].As<Napi::Number>().DoubleValue();
  float* dx = f32(info[6], "dx");
  float* dgamma = f32(info[7], "dgamma");
  float* dbeta = f32(info[8], "dbeta");
  const int64_t c = int64_t(len(info[2]));
  const int64_t rows = int64_t(len(info[1])) / c;
  std::vector<double> sdy, sdyxc;
  channelSums(dy, x, mean, rows, c, sdy, sdyxc);
  std::vector<float> a(static_cast<size_t>(c)), b(static_cast<size_t>(c)), d(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; k++) {
    const double rs = 1.0 / std::sqrt(double(var[k]) + eps);
    dgamma[k] = float(sdyxc[size_t(k)] * rs);
    dbeta[k] = float(sdy[size_t(k)]);
    // dx = a dy + b (x - mean) + d
    a[size_t(k)] = float(gamma[k] * rs);
    b[size_t(k)] = float(-gamma[k] * rs * rs * rs * sdyxc[size_t(k)] / double(rows));
    d[size_t(k)] = float(-gamma[k] * rs * sdy[size_t(k)] / double(rows));
  }
  const float *__restrict A = a.data(), *__restrict B = b.data(), *__restrict D = d.data();
#pragma omp parallel for schedule(static) if (rows * c >= PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict g = dy + r * c;
    const float* __restrict xr = x + r * c;
    float* __restrict o = dx + r * c;
#pragma omp simd
    for (int64_t k = 0; k < c; k++) o[k] = A[k] * g[k] + B[k] * (xr[k] - mean[k]) + D[k];
  }
  return info.Env().Undefined();
}

// adam(param, grad, m, v, outParam, outM, outV, [lr, beta1, beta2, eps, 1 - beta1^t, 1 - beta2^t]):
// tfjs's Adam update, one pass instead of a dozen tensor ops per variable; new buffers (tfjs variables may
// share storage with other tensors, so nothing is updated in place)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  const float* p = f32(info[0], "param");
  const float* g = f32(info[1], "grad");
  const float* m = f32(info[2], "m");
  const float* v = f32(info[3], "v");
  float* op = f32(info[4], "outParam");
  float* om = f32(info[5], "outM");
  float* ov = f32(info[6], "outV");
  auto h = info[7].As<Napi::Float64Array>();
  const float lr = float(h[0]), b1 = float(h[1]), b2 = float(h[2]), eps = float(h[3]), c1 = float(h[4]), c2 = float(h[5]);
  const float nb1 = 1.f - b1, nb2 = 1.f - b2;
  const int64_t n = int64_t(len(info[0]));
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    const float mi = m[i] * b1 + g[i] * nb1;
    const float vi = v[i] * b2 + (g[i] * g[i]) * nb2;
    om[i] = mi;
    ov[i] = vi;
    op[i] = (mi / c1) / (std::sqrt(vi / c2) + eps) * -lr + p[i];
  }
  return info.Env().Undefined();
}

// momentum(param, grad, acc, outParam, outAcc, [lr, momentum, nesterov]): tfjs's MomentumOptimizer update
Napi::Value Momentum(const Napi::CallbackInfo& info) {
  const float* p = f32(info[0], "param");
  const float* g = f32(info[1], "grad");
  const float* a = f32(info[2], "acc");
  float* op = f32(info[3], "outParam");
  float* oa = f32(info[4], "outAcc");
  auto h = info[5].As<Napi::Float64Array>();
  const float c = -float(h[0]), mom = float(h[1]);
  const bool nesterov = h[2] != 0;
  const int64_t n = int64_t(len(info[0]));
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    const float acc = mom * a[i] + g[i];
    oa[i] = acc;
    op[i] = (nesterov ? c * (g[i] + acc * mom) : c * acc) + p[i];
  }
  return info.Env().Undefined();
}

}  // namespace

void initEltwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("binaryStrided", Napi::Function::New(env, BinaryStrided));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("moments", Napi::Function::New(env, Moments));
  exports.Set("bnTrainGrad", Napi::Function::New(env, BnTrainGrad));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("momentum", Napi::Function::New(env, Momentum));
}

}  // namespace ll
