// Shared helpers of the LayerLens native addon: argument unpacking (Float32Array storage of tfjs's cpu
// backend is read and written in place, no copies) and the one oneDNN engine/stream.
#pragma once
#include <napi.h>
#include <cstdint>
#include <string>
#include <vector>

namespace ll {

inline float* f32(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>().Data();
}

inline float* f32OrNull(const Napi::Value& v, const char* what) {
  return v.IsNull() || v.IsUndefined() ? nullptr : f32(v, what);
}

inline size_t len(const Napi::Value& v) { return v.As<Napi::TypedArray>().ElementLength(); }

inline std::vector<int64_t> ints(const Napi::Value& v, size_t n, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::TypedArray>().ElementLength() != n) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an Int32Array of length " + std::to_string(n));
  }
  auto a = v.As<Napi::Int32Array>();
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; i++) out[i] = a[i];
  return out;
}

inline void need(const Napi::Env& env, bool ok, const std::string& msg) {
  if (!ok) throw Napi::Error::New(env, msg);
}

void initDnnl(Napi::Env env, Napi::Object exports);
void initEltwise(Napi::Env env, Napi::Object exports);

}  // namespace ll
