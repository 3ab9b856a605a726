// Multi-threaded float32 kernels for @gan-control/backend: a blocked SGEMM (packed panels, a
// register-blocked micro-kernel written with GCC/Clang vector extensions so it compiles to
// AVX-512, AVX2 or SSE/NEON as the build machine allows) and the convolutions built on it
// (im2col / col2im, NHWC). Operates in place on Float32Arrays owned by JavaScript (the wasm
// heap or the cpu backend's arrays); every call is synchronous and joins its threads before
// returning, so the JS engine never sees the memory while it is being written.
#ifndef GAN_NATIVE_NO_NAPI
#include <node_api.h>
#endif

#include <algorithm>
#include <cmath>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

#if defined(__AVX512F__)
constexpr int VW = 16;
constexpr int MR = 12;
#elif defined(__AVX__)
constexpr int VW = 8;
constexpr int MR = 6;
#else
constexpr int VW = 4;
constexpr int MR = 6;
#endif
constexpr int NR = 2 * VW;
constexpr int KC = 256;
constexpr int NC = 2048;

typedef float vf __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4)));

// ---------------------------------------------------------------------------------------------
// Thread pool: workers sleep on a condition variable (never spin: the machines this runs on are
// often shared), `run(n, fn)` hands out task indices through an atomic counter and the calling
// thread works too.
class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void resize(int n) {
    stop();
    quit_ = false;
    for (int i = 1; i < std::max(1, n); i++) workers_.emplace_back([this] { loop(); });
  }
  // Runs fn(0..tasks-1) and returns when all have finished. Completion is counted per task, so a
  // worker that wakes late (a busy machine) never holds the caller up: it finds nothing to claim.
  void run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    if (tasks <= 0) return;
    if (tasks == 1 || workers_.empty()) {
      for (int64_t t = 0; t < tasks; t++) fn(t);
      return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->total = tasks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      current_ = job;
      generation_++;
    }
    cv_.notify_all();
    work(*job);
    std::unique_lock<std::mutex> lk(job->mu);
    job->cv.wait(lk, [&] { return job->done.load() == job->total; });
  }

 private:
  struct Job {
    const std::function<void(int64_t)>* fn = nullptr;
    int64_t total = 0;
    std::atomic<int64_t> next{0}, done{0};
    std::mutex mu;
    std::condition_variable cv;
  };
  static void work(Job& job) {
    for (;;) {
      const int64_t t = job.next.fetch_add(1);
      if (t >= job.total) return;
      (*job.fn)(t);
      if (job.done.fetch_add(1) + 1 == job.total) {
        std::lock_guard<std::mutex> lk(job.mu);
        job.cv.notify_all();
      }
    }
  }
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
        if (quit_) return;
        seen = generation_;
        job = current_;
      }
      if (job) work(*job);
    }
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    current_.reset();
  }
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Job> current_;
  uint64_t generation_ = 0;
  bool quit_ = false;
};

Pool* pool = nullptr;
// One native call at a time per process (worker_threads share the pool and the buffers).
std::mutex callMu;

float* scratch(std::vector<float>& v, size_t n) {
  if (v.size() < n + 16) v.resize(n + 16);
  uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
}

// ---------------------------------------------------------------------------------------------
// SGEMM: C[M,N] (+)= A[M,K] · B[K,N], A(i,k) = a[i*ars + k*acs], B(k,j) = b[k*brs + j*bcs],
// C row-major with leading dimension ldc.
struct Mat {
  const float* p;
  int64_t rs, cs;
};

// Packs rows [i0, i0+mc) × cols [k0, k0+kc) of A into MR-row slivers: sliver s holds, for each k,
// the MR values of its rows (zero past the edge).
void packA(const Mat& a, int64_t i0, int mc, int64_t k0, int kc, float* out) {
  for (int s = 0; s < mc; s += MR) {
    const int rows = std::min(MR, mc - s);
    float* o = out + static_cast<int64_t>(s) * kc;
    if (a.cs == 1) {
      for (int r = 0; r < MR; r++) {
        if (r < rows) {
          const float* src = a.p + (i0 + s + r) * a.rs + k0;
          for (int k = 0; k < kc; k++) o[k * MR + r] = src[k];
        } else {
          for (int k = 0; k < kc; k++) o[k * MR + r] = 0.f;
        }
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float* src = a.p + (k0 + k) * a.cs + (i0 + s) * a.rs;
        for (int r = 0; r < MR; r++) o[k * MR + r] = r < rows ? src[r * a.rs] : 0.f;
      }
    }
  }
}

// Packs rows [k0, k0+kc) × cols [j0, j0+nc) of B into NR-column slivers.
void packB(const Mat& b, int64_t k0, int kc, int64_t j0, int nc, float* out) {
  for (int s = 0; s < nc; s += NR) {
    const int cols = std::min(NR, nc - s);
    float* o = out + static_cast<int64_t>(s) * kc;
    if (b.cs == 1) {
      for (int k = 0; k < kc; k++) {
        const float* src = b.p + (k0 + k) * b.rs + j0 + s;
        float* d = o + k * NR;
        if (cols == NR) {
          std::memcpy(d, src, sizeof(float) * NR);
        } else {
          for (int c = 0; c < NR; c++) d[c] = c < cols ? src[c] : 0.f;
        }
      }
    } else {
      for (int c = 0; c < NR; c++) {
        if (c < cols) {
          const float* src = b.p + (j0 + s + c) * b.cs + k0 * b.rs;
          for (int k = 0; k < kc; k++) o[k * NR + c] = src[k * b.rs];
        } else {
          for (int k = 0; k < kc; k++) o[k * NR + c] = 0.f;
        }
      }
    }
  }
}

// MR×NR block of C (+)= packed A sliver · packed B sliver.
inline void micro(int kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, bool acc, int mr, int nr) {
  vf c0[MR], c1[MR];
  for (int i = 0; i < MR; i++) {
    c0[i] = vf{};
    c1[i] = vf{};
  }
  for (int k = 0; k < kc; k++) {
    const vf b0 = *reinterpret_cast<const vf*>(b + k * NR);
    const vf b1 = *reinterpret_cast<const vf*>(b + k * NR + VW);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const float ai = a[k * MR + i];
      c0[i] += ai * b0;
      c1[i] += ai * b1;
    }
  }
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++) {
      vfu* d0 = reinterpret_cast<vfu*>(c + i * ldc);
      vfu* d1 = reinterpret_cast<vfu*>(c + i * ldc + VW);
      if (acc) {
        *d0 += c0[i];
        *d1 += c1[i];
      } else {
        *d0 = c0[i];
        *d1 = c1[i];
      }
    }
  } else {
    alignas(64) float t[MR * NR];
    for (int i = 0; i < MR; i++) {
      *reinterpret_cast<vf*>(t + i * NR) = c0[i];
      *reinterpret_cast<vf*>(t + i * NR + VW) = c1[i];
    }
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i * NR + j] : t[i * NR + j];
  }
}

thread_local std::vector<float> tlsA, tlsB, tlsCol;

// Serial C (+)= A·B for one block: the unit of work of every parallel driver below.
void gemmBlock(int64_t M, int64_t N, int64_t K, const Mat& a, const Mat& b, float* c, int64_t ldc, bool acc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int64_t i = 0; i < M; i++) std::memset(c + i * ldc, 0, sizeof(float) * N);
    return;
  }
  const int64_t np = (N + NR - 1) / NR * NR;
  constexpr int MC = MR * 16;
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    const int kc = static_cast<int>(std::min<int64_t>(KC, K - k0));
    float* pb = scratch(tlsB, static_cast<size_t>(np) * kc);
    packB(b, k0, kc, 0, static_cast<int>(N), pb);
    const bool accum = acc || k0 > 0;
    for (int64_t i0 = 0; i0 < M; i0 += MC) {
      const int m = static_cast<int>(std::min<int64_t>(MC, M - i0));
      const int mp = (m + MR - 1) / MR * MR;
      float* pa = scratch(tlsA, static_cast<size_t>(mp) * kc);
      packA(a, i0, m, k0, kc, pa);
      for (int64_t js = 0; js < N; js += NR) {
        const int nr = static_cast<int>(std::min<int64_t>(NR, N - js));
        const float* bs = pb + js * kc;
        for (int is = 0; is < m; is += MR) {
          micro(kc, pa + static_cast<int64_t>(is) * kc, bs, c + (i0 + is) * ldc + js, ldc, accum, std::min(MR, m - is), nr);
        }
      }
    }
  }
}

// Block sizes for a parallel product: as large as cache-friendly, small enough that every thread
// gets several tasks.
void blocking(int64_t batch, int64_t M, int64_t N, int64_t* mc, int64_t* nc) {
  const int64_t want = static_cast<int64_t>(pool->size()) * 4;
  *mc = std::min<int64_t>((M + MR - 1) / MR * MR, MR * 16);
  *nc = std::min<int64_t>((N + NR - 1) / NR * NR, NR * 16);
  for (;;) {
    const int64_t tasks = batch * ((M + *mc - 1) / *mc) * ((N + *nc - 1) / *nc);
    if (tasks >= want) break;
    if (*mc >= *nc && *mc > MR) *mc = std::max<int64_t>(MR, (*mc / 2 + MR - 1) / MR * MR);
    else if (*nc > NR) *nc = std::max<int64_t>(NR, (*nc / 2 + NR - 1) / NR * NR);
    else if (*mc > MR) *mc = std::max<int64_t>(MR, (*mc / 2 + MR - 1) / MR * MR);
    else break;
  }
}

// Batched C_i = A_i·B_i over the pool; A_i/B_i from `amat(i)`/`bmat(i)`, C_i at c + i·cstride.
template <typename FA, typename FB>
void gemmBatched(int64_t batch, int64_t M, int64_t N, int64_t K, FA amat, FB bmat, float* c, int64_t cstride, int64_t ldc) {
  int64_t mc, nc;
  blocking(batch, M, N, &mc, &nc);
  const int64_t mb = (M + mc - 1) / mc, nb = (N + nc - 1) / nc;
  pool->run(batch * mb * nb, [&](int64_t t) {
    const int64_t i = t / (mb * nb), bm = (t / nb) % mb, bn = t % nb;
    const int64_t i0 = bm * mc, j0 = bn * nc;
    const Mat a = amat(i), b = bmat(i);
    const Mat as{a.p + i0 * a.rs, a.rs, a.cs};
    const Mat bs{b.p + j0 * b.cs, b.rs, b.cs};
    gemmBlock(std::min(mc, M - i0), std::min(nc, N - j0), K, as, bs, c + i * cstride + i0 * ldc + j0, ldc, false);
  });
}

void gemm(int64_t M, int64_t N, int64_t K, const Mat& a, const Mat& b, float* c, int64_t ldc) {
  gemmBatched(1, M, N, K, [&](int64_t) { return a; }, [&](int64_t) { return b; }, c, 0, ldc);
}

// ---------------------------------------------------------------------------------------------
// Convolutions, NHWC, filter [KH,KW,Ci,Co].
struct Conv {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl;
};

// Rows [r0, r0+rows) of the im2col matrix ([N·OH·OW, KH·KW·Ci]) into col (serial).
void im2colRows(const Conv& p, const float* x, int64_t r0, int64_t rows, float* col) {
  const int64_t K = p.kh * p.kw * p.ci;
  for (int64_t rr = 0; rr < rows; rr++) {
    const int64_t r = r0 + rr;
    const int64_t b = r / (p.oh * p.ow);
    const int64_t y = (r / p.ow) % p.oh;
    const int64_t xo = r % p.ow;
    float* dst = col + rr * K;
    for (int64_t i = 0; i < p.kh; i++) {
      const int64_t iy = y * p.sh + i * p.dh - p.pt;
      for (int64_t j = 0; j < p.kw; j++) {
        const int64_t ix = xo * p.sw + j * p.dw - p.pl;
        float* d = dst + (i * p.kw + j) * p.ci;
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
          std::memset(d, 0, sizeof(float) * p.ci);
        } else {
          std::memcpy(d, x + ((b * p.h + iy) * p.w + ix) * p.ci, sizeof(float) * p.ci);
        }
      }
    }
  }
}

// dx += col2im(dcol) for rows [r0, r0+rows); threads split the channels so writes never collide.
void col2im(const Conv& p, const float* dcol, int64_t r0, int64_t rows, float* dx) {
  const int64_t K = p.kh * p.kw * p.ci;
  const int threads = pool->size();
  const int64_t chunk = std::max<int64_t>(16, (p.ci + threads - 1) / threads);
  const int64_t parts = (p.ci + chunk - 1) / chunk;
  pool->run(parts, [&](int64_t part) {
    const int64_t c0 = part * chunk;
    const int64_t c1 = std::min(p.ci, c0 + chunk);
    for (int64_t rr = 0; rr < rows; rr++) {
      const int64_t r = r0 + rr;
      const int64_t b = r / (p.oh * p.ow);
      const int64_t y = (r / p.ow) % p.oh;
      const int64_t xo = r % p.ow;
      const float* src = dcol + rr * K;
      for (int64_t i = 0; i < p.kh; i++) {
        const int64_t iy = y * p.sh + i * p.dh - p.pt;
        if (iy < 0 || iy >= p.h) continue;
        for (int64_t j = 0; j < p.kw; j++) {
          const int64_t ix = xo * p.sw + j * p.dw - p.pl;
          if (ix < 0 || ix >= p.w) continue;
          const float* s = src + (i * p.kw + j) * p.ci;
          float* d = dx + ((b * p.h + iy) * p.w + ix) * p.ci;
          for (int64_t c = c0; c < c1; c++) d[c] += s[c];
        }
      }
    }
  });
}

bool pointwise(const Conv& p) {
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pl == 0 && p.oh == p.h && p.ow == p.w;
}

std::vector<float> colBuf, partBuf;

// y = conv(x, f): each task builds the im2col rows of its block in thread-local memory.
void conv2d(const Conv& p, const float* x, const float* f, float* y) {
  const int64_t M = p.n * p.oh * p.ow, K = p.kh * p.kw * p.ci;
  const Mat fm{f, p.co, 1};
  if (pointwise(p)) {
    gemm(M, p.co, K, Mat{x, p.ci, 1}, fm, y, p.co);
    return;
  }
  int64_t mc, nc;
  blocking(1, M, p.co, &mc, &nc);
  nc = p.co;  // one im2col per row block
  const int64_t mb = (M + mc - 1) / mc;
  pool->run(mb, [&](int64_t t) {
    const int64_t i0 = t * mc, rows = std::min(mc, M - i0);
    float* col = scratch(tlsCol, static_cast<size_t>(rows * K));
    im2colRows(p, x, i0, rows, col);
    gemmBlock(rows, p.co, K, Mat{col, K, 1}, fm, y + i0 * p.co, p.co, false);
  });
}

// dx = conv2dᵀ(dy, f): dcol = dy·fᵀ in row chunks, scattered back by col2im.
void conv2dBackpropInput(const Conv& p, const float* dy, const float* f, float* dx) {
  const int64_t M = p.n * p.oh * p.ow, K = p.kh * p.kw * p.ci;
  const Mat ft{f, 1, p.co};  // fᵀ: [Co, K]
  if (pointwise(p)) {
    gemm(M, K, p.co, Mat{dy, p.co, 1}, ft, dx, p.ci);
    return;
  }
  if (p.sh == 1 && p.sw == 1) {
    // Stride 1: dx is the forward convolution of dy (padded by the filter's reach minus the
    // original padding) with the spatially flipped filter [KH,KW,Co,Ci]; no col2im scatter.
    static std::vector<float> flipped;
    flipped.resize(static_cast<size_t>(K * p.co));
    for (int64_t i = 0; i < p.kh; i++)
      for (int64_t j = 0; j < p.kw; j++)
        for (int64_t c = 0; c < p.ci; c++)
          for (int64_t o = 0; o < p.co; o++)
            flipped[(((p.kh - 1 - i) * p.kw + (p.kw - 1 - j)) * p.co + o) * p.ci + c] = f[((i * p.kw + j) * p.ci + c) * p.co + o];
    const Conv q{p.n, p.oh, p.ow, p.co, p.kh, p.kw, p.ci, p.h, p.w, 1, 1, p.dh, p.dw, (p.kh - 1) * p.dh - p.pt, (p.kw - 1) * p.dw - p.pl};
    conv2d(q, dy, flipped.data(), dx);
    return;
  }
  std::memset(dx, 0, sizeof(float) * p.n * p.h * p.w * p.ci);
  const int64_t step = std::max<int64_t>(256, (int64_t(1) << 21) / K);
  for (int64_t r0 = 0; r0 < M; r0 += step) {
    const int64_t rows = std::min(step, M - r0);
    float* col = scratch(colBuf, static_cast<size_t>(rows * K));
    gemm(rows, K, p.co, Mat{dy + r0 * p.co, p.co, 1}, ft, col, K);
    col2im(p, col, r0, rows, dx);
  }
}

// df = Σ_rows colᵀ·dy: the rows (output pixels) are split over tasks with private partial sums.
void conv2dBackpropFilter(const Conv& p, const float* x, const float* dy, float* df) {
  const int64_t M = p.n * p.oh * p.ow, K = p.kh * p.kw * p.ci, F = K * p.co;
  const int64_t tasks = std::min<int64_t>(static_cast<int64_t>(pool->size()) * 2, std::max<int64_t>(1, M / 64));
  float* parts = scratch(partBuf, static_cast<size_t>(tasks * F));
  const int64_t per = (M + tasks - 1) / tasks;
  const int64_t sub = std::max<int64_t>(64, (int64_t(1) << 18) / K);
  pool->run(tasks, [&](int64_t t) {
    float* part = parts + t * F;
    const int64_t r0 = t * per, r1 = std::min(M, r0 + per);
    if (r0 >= r1) {
      std::memset(part, 0, sizeof(float) * F);
      return;
    }
    for (int64_t s = r0; s < r1; s += sub) {
      const int64_t rows = std::min(sub, r1 - s);
      const float* colp;
      if (pointwise(p)) {
        colp = x + s * p.ci;
      } else {
        float* col = scratch(tlsCol, static_cast<size_t>(rows * K));
        im2colRows(p, x, s, rows, col);
        colp = col;
      }
      gemmBlock(K, p.co, rows, Mat{colp, 1, K}, Mat{dy + s * p.co, p.co, 1}, part, p.co, s > r0);
    }
  });
  const int64_t slice = (F + pool->size() * 4 - 1) / (pool->size() * 4);
  pool->run((F + slice - 1) / slice, [&](int64_t t) {
    const int64_t e0 = t * slice, e1 = std::min(F, e0 + slice);
    for (int64_t e = e0; e < e1; e++) {
      float acc = 0.f;
      for (int64_t q = 0; q < tasks; q++) acc += parts[q * F + e];
      df[e] = acc;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Elementwise and reduction kernels. Memory-bound, so threads pay off only on large tensors (the
// caller falls back to the backend's own kernel below a size threshold); every loop keeps its
// innermost axis contiguous so the compiler vectorises it.

// Splits [0, total) into chunks of at least `grain` elements, a few per thread.
template <typename F>
void parallelRange(int64_t total, int64_t grain, F fn) {
  const int64_t want = static_cast<int64_t>(pool->size()) * 4;
  const int64_t chunk = std::max<int64_t>(grain, (total + want - 1) / want);
  const int64_t tasks = (total + chunk - 1) / chunk;
  pool->run(tasks, [&](int64_t t) {
    const int64_t b = t * chunk;
    fn(b, std::min(total, b + chunk));
  });
}

// Binary op over a broadcast: the output has `rank` (≤ 4) collapsed dims `d`, and element i of
// the output reads a at Σ idx·sa and b at Σ idx·sb (stride 0 on a broadcast dim).
enum BinOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

template <int OP>
inline float binop(float a, float b) {
  if (OP == kAdd) return a + b;
  if (OP == kSub) return a - b;
  if (OP == kMul) return a * b;
  return a / b;
}

template <int OP>
void binaryRows(const int64_t* d, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* o, int64_t r0, int64_t r1) {
  // Rows are the output's leading 3 dims flattened; the last dim (d[3]) is the row.
  const int64_t L = d[3];
  for (int64_t r = r0; r < r1; r++) {
    const int64_t i2 = r % d[2], i1 = (r / d[2]) % d[1], i0 = r / (d[2] * d[1]);
    const float* pa = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
    const float* pb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
    float* po = o + r * L;
    if (sa[3] == 1 && sb[3] == 1) {
      for (int64_t j = 0; j < L; j++) po[j] = binop<OP>(pa[j], pb[j]);
    } else if (sa[3] == 1) {
      const float vb = pb[0];
      for (int64_t j = 0; j < L; j++) po[j] = binop<OP>(pa[j], vb);
    } else if (sb[3] == 1) {
      const float va = pa[0];
      for (int64_t j = 0; j < L; j++) po[j] = binop<OP>(va, pb[j]);
    } else {
      const float v = binop<OP>(pa[0], pb[0]);
      for (int64_t j = 0; j < L; j++) po[j] = v;
    }
  }
}

template <int OP>
void binary(const int64_t* d, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* o) {
  const int64_t rows = d[0] * d[1] * d[2], L = d[3];
  if (rows == 1) {
    // One long row: split it (same shape, or a scalar operand).
    parallelRange(L, 8192, [&](int64_t j0, int64_t j1) {
      const int64_t dd[4] = {1, 1, 1, j1 - j0};
      binaryRows<OP>(dd, sa, sb, a + (sa[3] ? j0 : 0), b + (sb[3] ? j0 : 0), o + j0, 0, 1);
    });
    return;
  }
  parallelRange(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, L)), [&](int64_t r0, int64_t r1) { binaryRows<OP>(d, sa, sb, a, b, o, r0, r1); });
}

// One Adam step (@gan-control/gradients' ADAM_UPDATE), each operation rounded to float as the
// composed tfjs ops round it: no fused multiply-add may be formed here (the attribute and pragma
// switch contraction off for GCC and Clang; the rest of the file keeps FMA for the GEMM).
#if defined(__clang__)
#define GAN_NO_CONTRACT
#elif defined(__GNUC__)
#define GAN_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define GAN_NO_CONTRACT
#endif
GAN_NO_CONTRACT void adamRange(const float* p, const float* g, const float* m, const float* v, float* po, float* mo, float* vo, int64_t i0, int64_t i1, const float* k) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const float b1 = k[0], b2 = k[1], c1 = k[2], c2 = k[3], eps = k[4], step = k[5], sq = k[6];
  for (int64_t i = i0; i < i1; i++) {
    const float gi = g[i];
    const float ma = m[i] * b1, mb = gi * c1;
    const float m2 = ma + mb;
    const float g2 = gi * gi;
    const float va = v[i] * b2, vb = g2 * c2;
    const float v2 = va + vb;
    const float den = std::sqrt(v2) / sq + eps;
    const float upd = (m2 / den) * step;
    mo[i] = m2;
    vo[i] = v2;
    po[i] = p[i] - upd;
  }
}

void adam(const float* p, const float* g, const float* m, const float* v, float* po, float* mo, float* vo, int64_t n, const float* k) {
  parallelRange(n, 32768, [&](int64_t i0, int64_t i1) { adamRange(p, g, m, v, po, mo, vo, i0, i1, k); });
}

// One EMA step (@gan-control/gradients' EMA_UPDATE): out = s + (e − s)·β, each operation rounded
// to float as the composed tfjs ops (Sub, Mul, Add) round it, so no fused multiply-add.
GAN_NO_CONTRACT void emaRange(const float* e, const float* s, float* o, int64_t i0, int64_t i1, float beta) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  for (int64_t i = i0; i < i1; i++) {
    const float diff = e[i] - s[i];
    const float step = diff * beta;
    o[i] = s[i] + step;
  }
}

void ema(const float* e, const float* s, float* o, int64_t n, float beta) {
  parallelRange(n, 32768, [&](int64_t i0, int64_t i1) { emaRange(e, s, o, i0, i1, beta); });
}

// Σ over the KK taps of w² for w [KK, I·O] (the demodulation's weight factor), in tap order and
// rounded op by op as the composed ops compute it (Square, then a ones-row matMul that adds the
// taps in order: 1·x is exact, so with or without FMA each step is one rounded addition).
GAN_NO_CONTRACT void tapSquares(const float* w, float* W, int64_t KK, int64_t IO) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  for (int64_t j = 0; j < IO; j++) W[j] = 0.f;
  for (int64_t t = 0; t < KK; t++) {
    const float* wt = w + t * IO;
    for (int64_t j = 0; j < IO; j++) {
      const float sq = wt[j] * wt[j];
      W[j] = W[j] + sq;
    }
  }
}

// q[n, o] = Σ_i S[n, i]·W[i, o] accumulated over i in order from 0 as the GEMM micro-kernel does
// (fused multiply-add where the CPU has it, as the compiler contracts the GEMM's `c += a·b`).
inline float dotAcc(float acc, float a, float b) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return std::fma(a, b, acc);
#else
  return acc + a * b;
#endif
}

// StyleGAN2's demodulation coefficients (@gan-control/gradients' MODCONV_DEMOD):
// d[n, o] = gain · rsqrt(Σ_i s[n, i]² · Σ_taps w[t, i, o]² + eps), w [KK, I, O]. Small (N·I·O
// multiply-adds), so one thread. Each step rounds as the composed ops do (see tapSquares, dotAcc).
GAN_NO_CONTRACT void modconvDemod(const float* s, const float* w, float* d, int64_t N, int64_t I, int64_t O, int64_t KK, float gain, float eps) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  std::vector<float> W(static_cast<size_t>(I * O));
  tapSquares(w, W.data(), KK, I * O);
  std::vector<float> q(static_cast<size_t>(O));
  for (int64_t n = 0; n < N; n++) {
    std::fill(q.begin(), q.end(), 0.f);
    for (int64_t i = 0; i < I; i++) {
      const float si = s[n * I + i];
      const float sq = si * si;
      const float* Wi = W.data() + i * O;
      for (int64_t o = 0; o < O; o++) q[o] = dotAcc(q[o], sq, Wi[o]);
    }
    for (int64_t o = 0; o < O; o++) {
      const float r = 1.f / std::sqrt(q[o] + eps);
      d[n * O + o] = r * gain;
    }
  }
}

// The gradient of modconvDemod (MODCONV_DEMOD_GRAD): with S = s², W = Σ_taps w², q = S·W + eps and
// t = dd·(−gain/2)·q^(−3/2): ds = 2·s ⊙ (t·Wᵀ), dw[t, i, o] = 2·w[t, i, o]·(Sᵀ·t)[i, o]. Sums in double.
void modconvDemodGrad(const float* dd, const float* s, const float* w, float* ds, float* dw, int64_t N, int64_t I, int64_t O, int64_t KK, float gain, float eps) {
  std::vector<double> W(static_cast<size_t>(I * O), 0.0), A(static_cast<size_t>(I * O), 0.0), t(static_cast<size_t>(O));
  for (int64_t k = 0; k < KK; k++)
    for (int64_t j = 0; j < I * O; j++) W[j] += static_cast<double>(w[k * I * O + j]) * w[k * I * O + j];
  for (int64_t n = 0; n < N; n++) {
    std::fill(t.begin(), t.end(), 0.0);
    for (int64_t i = 0; i < I; i++) {
      const double sq = static_cast<double>(s[n * I + i]) * s[n * I + i];
      for (int64_t o = 0; o < O; o++) t[o] += sq * W[i * O + o];
    }
    for (int64_t o = 0; o < O; o++) {
      const double q = t[o] + eps;
      t[o] = dd[n * O + o] * (-0.5 * gain) / (q * std::sqrt(q));
    }
    for (int64_t i = 0; i < I; i++) {
      const double si = s[n * I + i];
      const double sq = si * si;
      double acc = 0.0;
      for (int64_t o = 0; o < O; o++) {
        acc += t[o] * W[i * O + o];
        A[i * O + o] += sq * t[o];
      }
      ds[n * I + i] = static_cast<float>(2.0 * si * acc);
    }
  }
  parallelRange(KK * I * O, 16384, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) dw[j] = static_cast<float>(2.0 * w[j] * A[j % (I * O)]);
  });
}

// out[n, c] = Σ_p a[n, p, c]·b[n, p, c] (@gan-control/gradients' CHANNEL_DOT: the style gradient of
// a per-sample channel scaling, without the full-size product). One task per sample (or per slice
// of its rows when there are fewer samples than threads, added in order afterwards); double sums.
void channelDot(const float* a, const float* b, float* out, int64_t N, int64_t P, int64_t C) {
  const int64_t threads = pool->size();
  const int64_t slices = N >= threads ? 1 : std::min<int64_t>((threads + N - 1) / N, std::max<int64_t>(1, P / 64));
  const int64_t rows = (P + slices - 1) / slices;
  std::vector<double> part(static_cast<size_t>(N * slices * C), 0.0);
  pool->run(N * slices, [&](int64_t t) {
    const int64_t n = t / slices, k = t % slices;
    const int64_t p0 = k * rows, p1 = std::min(P, p0 + rows);
    double* acc = part.data() + t * C;
    for (int64_t p = p0; p < p1; p++) {
      const float* ar = a + (n * P + p) * C;
      const float* br = b + (n * P + p) * C;
      for (int64_t c = 0; c < C; c++) acc[c] += static_cast<double>(ar[c] * br[c]);
    }
  });
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) {
      double v = 0.0;
      for (int64_t k = 0; k < slices; k++) v += part[(n * slices + k) * C + c];
      out[n * C + c] = static_cast<float>(v);
    }
}

// y = lrelu(x + b), b broadcast over rows of C (bias + activation in one pass).
void biasLeakyRelu(const float* x, const float* b, float* y, int64_t rows, int64_t C, float alpha) {
  parallelRange(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; c++) {
        const float t = xr[c] + b[c];
        yr[c] = t > 0.f ? t : t * alpha;
      }
    }
  });
}

// y = x > 0 ? x : αx  (tf.leakyRelu).
void leakyRelu(const float* x, float* y, int64_t n, float alpha) {
  parallelRange(n, 16384, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = x[i] > 0.f ? x[i] : x[i] * alpha;
  });
}

// dx = x > 0 ? dy : α·dy  (the gradient of leakyRelu at x; also its own gradient in dy).
void leakyReluGrad(const float* dy, const float* x, float* dx, int64_t n, float alpha) {
  parallelRange(n, 16384, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) dx[i] = x[i] > 0.f ? dy[i] : dy[i] * alpha;
  });
}

std::vector<double> reduceParts;

// out[p, r] = scale · Σ_q x[p, q, r] (x viewed as [P, Q, R]). Large P·R: threads split P (or R);
// small P·R with a long Q: threads sum slices of Q into partials, then add them (in double).
void reduceSum(const float* x, float* out, int64_t P, int64_t Q, int64_t R, double scale) {
  const int threads = pool->size();
  if (P * R >= static_cast<int64_t>(threads) * 64 || Q < 256) {
    if (R == 1) {
      parallelRange(P, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, Q)), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; p++) {
          const float* src = x + p * Q;
          double acc = 0;
          for (int64_t q = 0; q < Q; q++) acc += src[q];
          out[p] = static_cast<float>(acc * scale);
        }
      });
      return;
    }
    // Rows of R: tasks over (p, r-block).
    const int64_t rb = std::min<int64_t>(R, 256);
    const int64_t nrb = (R + rb - 1) / rb;
    parallelRange(P * nrb, 1, [&](int64_t t0, int64_t t1) {
      std::vector<double> acc(rb);
      for (int64_t t = t0; t < t1; t++) {
        const int64_t p = t / nrb, r0 = (t % nrb) * rb, r1 = std::min(R, r0 + rb);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t q = 0; q < Q; q++) {
          const float* src = x + (p * Q + q) * R;
          for (int64_t r = r0; r < r1; r++) acc[r - r0] += src[r];
        }
        for (int64_t r = r0; r < r1; r++) out[p * R + r] = static_cast<float>(acc[r - r0] * scale);
      }
    });
    return;
  }
  const int64_t parts = std::min<int64_t>(static_cast<int64_t>(threads) * 2, Q / 64);
  const int64_t per = (Q + parts - 1) / parts;
  reduceParts.assign(static_cast<size_t>(parts * P * R), 0.0);
  pool->run(parts, [&](int64_t t) {
    double* acc = reduceParts.data() + t * P * R;
    const int64_t q0 = t * per, q1 = std::min(Q, q0 + per);
    for (int64_t p = 0; p < P; p++) {
      double* ap = acc + p * R;
      for (int64_t q = q0; q < q1; q++) {
        const float* src = x + (p * Q + q) * R;
        for (int64_t r = 0; r < R; r++) ap[r] += src[r];
      }
    }
  });
  for (int64_t e = 0; e < P * R; e++) {
    double s = 0;
    for (int64_t t = 0; t < parts; t++) s += reduceParts[t * P * R + e];
    out[e] = static_cast<float>(s * scale);
  }
}

// out = tile(x, reps), rank ≤ 6: out dim i = xd[i]·reps[i]; rows (all but the last dim) are
// parallel, each copies its source row reps[last] times.
void tile(const float* x, float* out, int rank, const int64_t* xd, const int64_t* reps) {
  int64_t od[6], xs[6];
  int64_t rows = 1;
  for (int i = 0; i < rank; i++) od[i] = xd[i] * reps[i];
  xs[rank - 1] = 1;
  for (int i = rank - 2; i >= 0; i--) xs[i] = xs[i + 1] * xd[i + 1];
  for (int i = 0; i < rank - 1; i++) rows *= od[i];
  const int64_t L = xd[rank - 1], OL = od[rank - 1];
  parallelRange(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, OL)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t rem = r, src = 0;
      for (int i = rank - 2; i >= 0; i--) {
        const int64_t idx = rem % od[i];
        rem /= od[i];
        src += (idx % xd[i]) * xs[i];
      }
      float* dst = out + r * OL;
      if (L == 1) {
        std::fill(dst, dst + OL, x[src]);  // a broadcast along the last axis (the gradient of a reduction)
      } else {
        for (int64_t k = 0; k < reps[rank - 1]; k++) std::memcpy(dst + k * L, x + src, sizeof(float) * L);
      }
    }
  });
}

// out[n, oh, ow, :] = Σ_h Σ_w mh[oh, h] · mw[ow, w] · x[n, h, w, :] — upfirdn2d as two banded
// matrices (ops.ts `upfirdnMatrix`: a FIR filter has ≤ 4 taps, so each output reads ≤ 4×4 inputs
// instead of the dense matrices' H×W). Threads split the (n, oh) output rows.
void fir(const float* x, float* out, int64_t N, int64_t H, int64_t W, int64_t C, int64_t OH, int64_t OW, const float* mh, const float* mw) {
  struct Tap {
    int64_t at;
    float w;
  };
  auto bands = [](const float* m, int64_t rows, int64_t cols) {
    std::vector<std::vector<Tap>> b(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; r++)
      for (int64_t c = 0; c < cols; c++)
        if (m[r * cols + c] != 0.f) b[r].push_back({c, m[r * cols + c]});
    return b;
  };
  const auto bh = bands(mh, OH, H), bw = bands(mw, OW, W);
  // Separable: per output row, the H taps into a row buffer [W, C] (contiguous, vectorised),
  // then the W taps out of it.
  parallelRange(N * OH, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, OW * C)), [&](int64_t r0, int64_t r1) {
    float* row = scratch(tlsCol, static_cast<size_t>(W * C));
    for (int64_t r = r0; r < r1; r++) {
      const int64_t n = r / OH, oh = r % OH;
      std::memset(row, 0, sizeof(float) * W * C);
      for (const Tap& th : bh[oh]) {
        const float* xr = x + (n * H + th.at) * W * C;
        const float a = th.w;
        for (int64_t i = 0; i < W * C; i++) row[i] += a * xr[i];
      }
      float* o = out + r * OW * C;
      for (int64_t ow = 0; ow < OW; ow++) {
        float* oc = o + ow * C;
        std::memset(oc, 0, sizeof(float) * C);
        for (const Tap& tw : bw[ow]) {
          const float b = tw.w;
          const float* rc = row + tw.at * C;
          for (int64_t c = 0; c < C; c++) oc[c] += b * rc[c];
        }
      }
    }
  });
}


// ---------------------------------------------------------------------------------------------
// Pooling gradients and depthwise convolutions, NHWC, channels innermost (vectorised). Threads
// split the work so that no two tasks write the same output value.

// N, H, W, C, OH, OW, strides, dilations, effective filter size, pads (top, left), filter size:
// tfjs's Pool2DInfo.
struct PoolP {
  int64_t N, H, W, C, OH, OW, sH, sW, dH, dW, eH, eW, pt, pl, fH, fW;
};

// dx of tf.maxPool: each window's dy goes to the first position (row-major) that holds the
// window's maximum among the real (unpadded) inputs — the rule of the JS kernel it replaces
// (src/kernels/js-kernels.ts maxPoolGradJs), whose additions it makes in the same order, so the
// results are the same to the bit. Tasks are (image, channel block): windows overlap across
// output rows, but never across images or channels.
void maxPoolGrad(const PoolP& p, const float* dy, const float* x, float* dx) {
  constexpr int64_t CB = 64;
  const int64_t blocks = (p.C + CB - 1) / CB;
  pool->run(p.N * blocks, [&](int64_t t) {
    const int64_t n = t / blocks, c0 = (t % blocks) * CB, cb = std::min(CB, p.C - c0);
    float best[CB];
    int64_t at[CB];
    for (int64_t i = 0; i < p.H * p.W; i++) std::memset(dx + (n * p.H * p.W + i) * p.C + c0, 0, sizeof(float) * cb);
    for (int64_t r = 0; r < p.OH; r++) {
      const int64_t r0 = r * p.sH - p.pt;
      for (int64_t q = 0; q < p.OW; q++) {
        const int64_t q0 = q * p.sW - p.pl;
        for (int64_t c = 0; c < cb; c++) {
          best[c] = -INFINITY;
          at[c] = -1;
        }
        for (int64_t i = 0; i < p.eH; i += p.dH) {
          const int64_t y = r0 + i;
          if (y < 0 || y >= p.H) continue;
          for (int64_t j = 0; j < p.eW; j += p.dW) {
            const int64_t xx = q0 + j;
            if (xx < 0 || xx >= p.W) continue;
            const int64_t base = ((n * p.H + y) * p.W + xx) * p.C + c0;
            const float* xv = x + base;
            for (int64_t c = 0; c < cb; c++) {
              if (xv[c] > best[c] || at[c] < 0) {
                best[c] = xv[c];
                at[c] = base + c;
              }
            }
          }
        }
        const float* g = dy + ((n * p.OH + r) * p.OW + q) * p.C + c0;
        for (int64_t c = 0; c < cb; c++)
          if (at[c] >= 0) dx[at[c]] += g[c];
      }
    }
  });
}

// dx of tf.avgPool as tfjs's cpu kernel computes it: each input sums, in double and in the cpu
// kernel's order, the dy of every window that covers it, times 1 / (filter height · width) (the
// full window, also where padding cut it short). Threads split the (image, row) pairs of dx.
void avgPoolGrad(const PoolP& p, const float* dy, float* dx) {
  const double mult = 1.0 / static_cast<double>(p.fH * p.fW);
  const int64_t padTop = p.eH - 1 - p.pt, padLeft = p.eW - 1 - p.pl;
  parallelRange(p.N * p.H, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, p.W * p.C)), [&](int64_t r0, int64_t r1) {
    std::vector<double> acc(static_cast<size_t>(p.C));
    for (int64_t row = r0; row < r1; row++) {
      const int64_t n = row / p.H, ih = row % p.H;
      for (int64_t iw = 0; iw < p.W; iw++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t wr = 0; wr < p.eH; wr += p.dH) {
          const int64_t num = ih - padTop + wr;
          if (num < 0 || num % p.sH != 0 || num / p.sH >= p.OH) continue;
          const int64_t oh = num / p.sH;
          for (int64_t wc = 0; wc < p.eW; wc += p.dW) {
            const int64_t numc = iw - padLeft + wc;
            if (numc < 0 || numc % p.sW != 0 || numc / p.sW >= p.OW) continue;
            const float* g = dy + ((n * p.OH + oh) * p.OW + numc / p.sW) * p.C;
            for (int64_t c = 0; c < p.C; c++) acc[c] += g[c];
          }
        }
        float* o = dx + ((n * p.H + ih) * p.W + iw) * p.C;
        for (int64_t c = 0; c < p.C; c++) o[c] = static_cast<float>(acc[c] * mult);
      }
    }
  });
}

// Depthwise convolution with channel multiplier 1, filter [KH, KW, C, 1]:
// y[n,oh,ow,c] = Σ_{kh,kw} x[n, oh·sH + kh·dH − pt, ow·sW + kw·dW − pl, c] · w[kh,kw,c].
// Threads split the (image, output row) pairs.
void depthwiseConv(const Conv& p, const float* x, const float* w, float* y) {
  const int64_t C = p.ci;
  parallelRange(p.n * p.oh, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, p.ow * C)), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; row++) {
      const int64_t n = row / p.oh, oh = row % p.oh;
      float* yr = y + row * p.ow * C;
      std::memset(yr, 0, sizeof(float) * p.ow * C);
      for (int64_t kh = 0; kh < p.kh; kh++) {
        const int64_t ih = oh * p.sh + kh * p.dh - p.pt;
        if (ih < 0 || ih >= p.h) continue;
        const float* xr = x + (n * p.h + ih) * p.w * C;
        for (int64_t ow = 0; ow < p.ow; ow++) {
          float* yc = yr + ow * C;
          for (int64_t kw = 0; kw < p.kw; kw++) {
            const int64_t iw = ow * p.sw + kw * p.dw - p.pl;
            if (iw < 0 || iw >= p.w) continue;
            const float* xc = xr + iw * C;
            const float* wc = w + (kh * p.kw + kw) * C;
            for (int64_t c = 0; c < C; c++) yc[c] += xc[c] * wc[c];
          }
        }
      }
    }
  });
}

// Its input gradient: dx[n,ih,iw,c] = Σ dy[n,oh,ow,c] · w[kh,kw,c] over the (kh, kw) with
// ih = oh·sH + kh·dH − pt and iw = ow·sW + kw·dW − pl. Threads split the (image, input row) pairs.
void depthwiseConvBackpropInput(const Conv& p, const float* dy, const float* w, float* dx) {
  const int64_t C = p.ci;
  parallelRange(p.n * p.h, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, p.w * C)), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; row++) {
      const int64_t n = row / p.h, ih = row % p.h;
      float* xr = dx + row * p.w * C;
      std::memset(xr, 0, sizeof(float) * p.w * C);
      for (int64_t kh = 0; kh < p.kh; kh++) {
        const int64_t num = ih + p.pt - kh * p.dh;
        if (num < 0 || num % p.sh != 0 || num / p.sh >= p.oh) continue;
        const float* gr = dy + (n * p.oh + num / p.sh) * p.ow * C;
        for (int64_t iw = 0; iw < p.w; iw++) {
          float* xc = xr + iw * C;
          for (int64_t kw = 0; kw < p.kw; kw++) {
            const int64_t numc = iw + p.pl - kw * p.dw;
            if (numc < 0 || numc % p.sw != 0 || numc / p.sw >= p.ow) continue;
            const float* gc = gr + (numc / p.sw) * C;
            const float* wc = w + (kh * p.kw + kw) * C;
            for (int64_t c = 0; c < C; c++) xc[c] += gc[c] * wc[c];
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Strided box copies (rank ≤ 6): slice (out = x[begin : begin + out dims]) and pad (out = value,
// then x copied at offset `begin`). The last dim is one contiguous run; threads split the rows.
void box(bool pad, int rank, const int64_t* xd, const int64_t* od, const int64_t* begin, const float* x, float* o, float value) {
  const int64_t* inner = pad ? xd : od;  // the box being copied
  const int64_t* big = pad ? od : xd;    // the array it sits in
  int64_t strides[6], rows = 1;
  strides[rank - 1] = 1;
  for (int i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * big[i + 1];
  for (int i = 0; i < rank - 1; i++) rows *= inner[i];
  const int64_t L = inner[rank - 1];
  if (pad) {
    int64_t total = 1;
    for (int i = 0; i < rank; i++) total *= od[i];
    parallelRange(total, 1 << 15, [&](int64_t a, int64_t b) { std::fill(o + a, o + b, value); });
  }
  parallelRange(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, L)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t rem = r, off = begin[rank - 1];
      for (int i = rank - 2; i >= 0; i--) {
        const int64_t idx = rem % inner[i];
        rem /= inner[i];
        off += (idx + begin[i]) * strides[i];
      }
      if (pad) std::memcpy(o + off, x + r * L, sizeof(float) * L);
      else std::memcpy(o + r * L, x + off, sizeof(float) * L);
    }
  });
}

}  // namespace

#ifndef GAN_NATIVE_NO_NAPI
namespace {
// ---------------------------------------------------------------------------------------------
// N-API glue.
#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "GAN_NATIVE", "gan_control_native: " #call); \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

bool floatArray(napi_env env, napi_value v, float** data, size_t* len) {
  napi_typedarray_type type;
  void* ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, "GAN_NATIVE", "gan_control_native: expected a Float32Array");
    return false;
  }
  *data = static_cast<float*>(ptr);
  return true;
}

bool intArray(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type type;
  void* ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, "GAN_NATIVE", "gan_control_native: expected an Int32Array of parameters");
    return false;
  }
  *data = static_cast<int32_t*>(ptr);
  return true;
}

// conv(kind, a, b, out, params[15]) — kind 0 forward (x, f → y), 1 input grad (dy, f → dx),
// 2 filter grad (x, dy → df); 3 depthwise forward (x, f → y), 4 depthwise input grad (dy, f → dx). Sizes are checked against params before any write.
napi_value ConvCall(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 5) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.conv(kind, a, b, out, params) takes 5 arguments");
    return nullptr;
  }
  int32_t kind;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  float *a, *b, *o;
  size_t la, lb, lo, lp;
  int32_t* q;
  if (!floatArray(env, argv[1], &a, &la) || !floatArray(env, argv[2], &b, &lb) || !floatArray(env, argv[3], &o, &lo) || !intArray(env, argv[4], &q, &lp)) return nullptr;
  if (lp != 15) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.conv: params must hold 15 integers");
    return nullptr;
  }
  Conv p{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14]};
  const size_t xs = p.n * p.h * p.w * p.ci, fs = p.kh * p.kw * p.ci * p.co, ys = p.n * p.oh * p.ow * p.co;
  // Kinds 3 and 4: the depthwise forward and input gradient (multiplier 1: co = ci, filter [KH,KW,C,1]).
  const size_t ds = p.kh * p.kw * p.ci;
  const size_t want[5][3] = {{xs, fs, ys}, {ys, fs, xs}, {xs, ys, fs}, {xs, ds, ys}, {ys, ds, xs}};
  if (kind < 0 || kind > 4 || la != want[kind][0] || lb != want[kind][1] || lo != want[kind][2] || (kind >= 3 && (p.co != p.ci || p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1))) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.conv: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  if (kind == 0) conv2d(p, a, b, o);
  else if (kind == 1) conv2dBackpropInput(p, a, b, o);
  else if (kind == 2) conv2dBackpropFilter(p, a, b, o);
  else if (kind == 3) depthwiseConv(p, a, b, o);
  else depthwiseConvBackpropInput(p, a, b, o);
  return nullptr;
}

// matmul(a, b, c, params[8]) — params: batch, batchA, batchB, M, N, K, transA, transB.
// a: [batchA, M, K] (or [batchA, K, M] transposed), b likewise, c: [batch, M, N]; batchA/B are 1
// (broadcast) or batch.
napi_value MatMulCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *a, *b, *c;
  size_t la, lb, lc, lp;
  int32_t* q;
  if (argc != 4 || !floatArray(env, argv[0], &a, &la) || !floatArray(env, argv[1], &b, &lb) || !floatArray(env, argv[2], &c, &lc) || !intArray(env, argv[3], &q, &lp)) return nullptr;
  const int64_t batch = q[0], ba = q[1], bb = q[2], M = q[3], N = q[4], K = q[5];
  const bool ta = q[6] != 0, tb = q[7] != 0;
  if (lp != 8 || la != size_t(ba * M * K) || lb != size_t(bb * K * N) || lc != size_t(batch * M * N) || (ba != 1 && ba != batch) || (bb != 1 && bb != batch)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.matmul: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  gemmBatched(
      batch, M, N, K,
      [&](int64_t i) {
        const float* pa = a + (ba == 1 ? 0 : i) * M * K;
        return ta ? Mat{pa, 1, M} : Mat{pa, K, 1};
      },
      [&](int64_t i) {
        const float* pb = b + (bb == 1 ? 0 : i) * K * N;
        return tb ? Mat{pb, 1, K} : Mat{pb, N, 1};
      },
      c, M * N, N);
  return nullptr;
}

// binary(op, a, b, out, params[12]) — params: d[4], sa[4], sb[4] (collapsed output dims and the
// operands' element strides, 0 on a broadcast dim). op: 0 add, 1 sub, 2 mul, 3 div.
napi_value BinaryCall(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t op;
  float *a, *b, *o;
  size_t la, lb, lo, lp;
  int32_t* q;
  if (argc != 5) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.binary(op, a, b, out, params) takes 5 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_int32(env, argv[0], &op));
  if (!floatArray(env, argv[1], &a, &la) || !floatArray(env, argv[2], &b, &lb) || !floatArray(env, argv[3], &o, &lo) || !intArray(env, argv[4], &q, &lp)) return nullptr;
  int64_t d[4], sa[4], sb[4];
  for (int i = 0; i < 4 && lp == 12; i++) {
    d[i] = q[i];
    sa[i] = q[4 + i];
    sb[i] = q[8 + i];
  }
  // The last element each operand reads must lie inside it.
  auto reach = [&](const int64_t* s) {
    int64_t r = 0;
    for (int i = 0; i < 4; i++) r += (d[i] - 1) * s[i];
    return r;
  };
  if (lp != 12 || op < 0 || op > 3 || d[0] * d[1] * d[2] * d[3] != static_cast<int64_t>(lo) || lo == 0 || reach(sa) >= static_cast<int64_t>(la) || reach(sb) >= static_cast<int64_t>(lb)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.binary: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  if (op == kAdd) binary<kAdd>(d, sa, sb, a, b, o);
  else if (op == kSub) binary<kSub>(d, sa, sb, a, b, o);
  else if (op == kMul) binary<kMul>(d, sa, sb, a, b, o);
  else binary<kDiv>(d, sa, sb, a, b, o);
  return nullptr;
}

// leakyRelu(x, out, alpha) and leakyReluGrad(dy, x, out, alpha): same-length arrays.
napi_value LeakyReluCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *o;
  size_t lx, lo;
  double alpha;
  if (argc != 3 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &o, &lo)) {
    if (argc != 3) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.leakyRelu(x, out, alpha) takes 3 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_double(env, argv[2], &alpha));
  if (lx != lo) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.leakyRelu: x and out differ in length");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  leakyRelu(x, o, static_cast<int64_t>(lx), static_cast<float>(alpha));
  return nullptr;
}

// adam(p, g, m, v, pOut, mOut, vOut, k[7]): k = β1, β2, 1−β1, 1−β2, eps, stepSize, sqrtBc2 (float32).
napi_value AdamCall(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 8) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.adam(p, g, m, v, pOut, mOut, vOut, k) takes 8 arguments");
    return nullptr;
  }
  float* a[8];
  size_t len[8];
  for (int i = 0; i < 8; i++)
    if (!floatArray(env, argv[i], &a[i], &len[i])) return nullptr;
  for (int i = 1; i < 7; i++) {
    if (len[i] != len[0]) {
      napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.adam: p, g, m, v and the outputs differ in length");
      return nullptr;
    }
  }
  if (len[7] != 7) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.adam: k must hold 7 values");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  adam(a[0], a[1], a[2], a[3], a[4], a[5], a[6], static_cast<int64_t>(len[0]), a[7]);
  return nullptr;
}

// biasLeakyRelu(x, b, out, alpha): x and out [rows·C], b [C].
napi_value BiasLeakyReluCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *b, *o;
  size_t lx, lb, lo;
  double alpha;
  if (argc != 4 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &b, &lb) || !floatArray(env, argv[2], &o, &lo)) {
    if (argc != 4) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.biasLeakyRelu(x, b, out, alpha) takes 4 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_double(env, argv[3], &alpha));
  if (lb == 0 || lx != lo || lx % lb != 0) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.biasLeakyRelu: x and out must be equal multiples of the bias length");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  biasLeakyRelu(x, b, o, static_cast<int64_t>(lx / lb), static_cast<int64_t>(lb), static_cast<float>(alpha));
  return nullptr;
}

napi_value LeakyReluGradCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *dy, *x, *o;
  size_t ld, lx, lo;
  double alpha;
  if (argc != 4 || !floatArray(env, argv[0], &dy, &ld) || !floatArray(env, argv[1], &x, &lx) || !floatArray(env, argv[2], &o, &lo)) {
    if (argc != 4) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.leakyReluGrad(dy, x, out, alpha) takes 4 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_double(env, argv[3], &alpha));
  if (ld != lx || lx != lo) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.leakyReluGrad: dy, x and out differ in length");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  leakyReluGrad(dy, x, o, static_cast<int64_t>(lx), static_cast<float>(alpha));
  return nullptr;
}

// ema(e, s, out, beta): same-length arrays; out = s + (e − s)·β.
napi_value EmaCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *e, *s, *o;
  size_t le, ls, lo;
  double beta;
  if (argc != 4 || !floatArray(env, argv[0], &e, &le) || !floatArray(env, argv[1], &s, &ls) || !floatArray(env, argv[2], &o, &lo)) {
    if (argc != 4) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.ema(ema, source, out, beta) takes 4 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_double(env, argv[3], &beta));
  if (le != ls || ls != lo) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.ema: ema, source and out differ in length");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  ema(e, s, o, static_cast<int64_t>(le), static_cast<float>(beta));
  return nullptr;
}

// demod(kind, dd, s, w, out0, out1, params[4], k[2]) — params N, I, O, KK; k gain, eps (float32).
// kind 0: out0 = d [N, O] from (s, w) (dd and out1 unread); kind 1: out0 = ds [N, I], out1 = dw
// [KK, I, O] from (dd, s, w).
napi_value DemodCall(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 8) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.demod(kind, dd, s, w, out0, out1, params, k) takes 8 arguments");
    return nullptr;
  }
  int32_t kind;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  float* a[6];
  size_t len[6];
  for (int i = 0; i < 5; i++)
    if (!floatArray(env, argv[i + 1], &a[i], &len[i])) return nullptr;
  if (!floatArray(env, argv[7], &a[5], &len[5])) return nullptr;
  int32_t* q;
  size_t lq;
  if (!intArray(env, argv[6], &q, &lq)) return nullptr;
  bool ok = lq == 4 && len[5] == 2 && (kind == 0 || kind == 1);
  for (size_t i = 0; ok && i < 4; i++) ok = q[i] >= 1;
  if (ok) {
    const int64_t N = q[0], I = q[1], O = q[2], KK = q[3];
    ok = static_cast<int64_t>(len[1]) == N * I && static_cast<int64_t>(len[2]) == KK * I * O;
    if (kind == 0) ok = ok && static_cast<int64_t>(len[3]) == N * O;
    else ok = ok && static_cast<int64_t>(len[0]) == N * O && static_cast<int64_t>(len[3]) == N * I && static_cast<int64_t>(len[4]) == KK * I * O;
  }
  if (!ok) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.demod: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  if (kind == 0) modconvDemod(a[1], a[2], a[3], q[0], q[1], q[2], q[3], a[5][0], a[5][1]);
  else modconvDemodGrad(a[0], a[1], a[2], a[3], a[4], q[0], q[1], q[2], q[3], a[5][0], a[5][1]);
  return nullptr;
}

// channelDot(a, b, out, params[3]): params N, P, C; a and b [N·P·C], out [N·C].
napi_value ChannelDotCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *a, *b, *o;
  size_t la, lb, lo, lq;
  int32_t* q;
  if (argc != 4) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.channelDot(a, b, out, params) takes 4 arguments");
    return nullptr;
  }
  if (!floatArray(env, argv[0], &a, &la) || !floatArray(env, argv[1], &b, &lb) || !floatArray(env, argv[2], &o, &lo) || !intArray(env, argv[3], &q, &lq)) return nullptr;
  if (lq != 3 || q[0] < 1 || q[1] < 1 || q[2] < 1 || static_cast<int64_t>(q[0]) * q[1] * q[2] != static_cast<int64_t>(la) || la != lb ||
      static_cast<int64_t>(q[0]) * q[2] != static_cast<int64_t>(lo)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.channelDot: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  channelDot(a, b, o, q[0], q[1], q[2]);
  return nullptr;
}

// reduce(x, out, params[3], scale): out[p, r] = scale · Σ_q x[p, q, r], params = P, Q, R.
napi_value ReduceCall(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *o;
  size_t lx, lo, lp;
  int32_t* q;
  double scale;
  if (argc != 4 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &o, &lo) || !intArray(env, argv[2], &q, &lp)) {
    if (argc != 4) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.reduce(x, out, params, scale) takes 4 arguments");
    return nullptr;
  }
  CHECK(napi_get_value_double(env, argv[3], &scale));
  if (lp != 3 || q[0] < 1 || q[1] < 1 || q[2] < 1 || static_cast<int64_t>(q[0]) * q[1] * q[2] != static_cast<int64_t>(lx) || static_cast<int64_t>(q[0]) * q[2] != static_cast<int64_t>(lo)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.reduce: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  reduceSum(x, o, q[0], q[1], q[2], scale);
  return nullptr;
}

// tile(x, out, params[2·rank]) — params: the input dims, then the repetitions (rank 1..6).
napi_value TileCall(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *o;
  size_t lx, lo, lp;
  int32_t* q;
  if (argc != 3 || !floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &o, &lo) || !intArray(env, argv[2], &q, &lp)) {
    if (argc != 3) napi_throw_error(env, "GAN_NATIVE", "gan_control_native.tile(x, out, params) takes 3 arguments");
    return nullptr;
  }
  const int rank = static_cast<int>(lp / 2);
  int64_t xd[6], reps[6], nx = 1, no = 1;
  bool ok = lp % 2 == 0 && rank >= 1 && rank <= 6;
  for (int i = 0; ok && i < rank; i++) {
    xd[i] = q[i];
    reps[i] = q[rank + i];
    ok = xd[i] >= 1 && reps[i] >= 1;
    nx *= xd[i];
    no *= xd[i] * reps[i];
  }
  if (!ok || nx != static_cast<int64_t>(lx) || no != static_cast<int64_t>(lo)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.tile: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  tile(x, o, rank, xd, reps);
  return nullptr;
}

// fir(x, out, params[6], mh, mw) — params: N, H, W, C, OH, OW; mh [OH·H], mw [OW·W].
napi_value FirCall(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *o, *mh, *mw;
  size_t lx, lo, lp, lh, lw;
  int32_t* q;
  if (argc != 5) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.fir(x, out, params, mh, mw) takes 5 arguments");
    return nullptr;
  }
  if (!floatArray(env, argv[0], &x, &lx) || !floatArray(env, argv[1], &o, &lo) || !intArray(env, argv[2], &q, &lp) || !floatArray(env, argv[3], &mh, &lh) || !floatArray(env, argv[4], &mw, &lw)) return nullptr;
  bool ok = lp == 6;
  for (size_t i = 0; ok && i < 6; i++) ok = q[i] >= 1;
  if (!ok || static_cast<int64_t>(q[0]) * q[1] * q[2] * q[3] != static_cast<int64_t>(lx) || static_cast<int64_t>(q[0]) * q[4] * q[5] * q[3] != static_cast<int64_t>(lo) ||
      static_cast<int64_t>(q[4]) * q[1] != static_cast<int64_t>(lh) || static_cast<int64_t>(q[5]) * q[2] != static_cast<int64_t>(lw)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.fir: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  fir(x, o, q[0], q[1], q[2], q[3], q[4], q[5], mh, mw);
  return nullptr;
}

// pool(kind, dy, x, out, params[16]) — kind 0: MaxPoolGrad (dy, x → dx); kind 1: AvgPoolGrad
// (dy → dx; x is not read). params: N, H, W, C, OH, OW, sH, sW, dH, dW, effH, effW, padTop,
// padLeft, filterH, filterW.
napi_value PoolCall(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 5) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.pool(kind, dy, x, out, params) takes 5 arguments");
    return nullptr;
  }
  int32_t kind;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  float *dy, *x, *o;
  size_t ld, lx, lo, lp;
  int32_t* q;
  if (!floatArray(env, argv[1], &dy, &ld) || !floatArray(env, argv[2], &x, &lx) || !floatArray(env, argv[3], &o, &lo) || !intArray(env, argv[4], &q, &lp)) return nullptr;
  bool ok = lp == 16 && (kind == 0 || kind == 1);
  for (size_t i = 0; ok && i < 16; i++) ok = i == 12 || i == 13 || q[i] >= 1;
  if (!ok) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.pool: bad kind or parameters");
    return nullptr;
  }
  PoolP p{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14], q[15]};
  const size_t xs = p.N * p.H * p.W * p.C, ys = p.N * p.OH * p.OW * p.C;
  if (ld != ys || lo != xs || (kind == 0 && lx != xs)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.pool: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  if (kind == 0) maxPoolGrad(p, dy, x, o);
  else avgPoolGrad(p, dy, o);
  return nullptr;
}

// box(kind, x, out, params, value) — kind 0 slice: out = x[begin : begin + out dims]; kind 1 pad:
// out = value with x at offset begin. params: rank (1..6), x dims, out dims, begin.
napi_value BoxCall(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 5) {
    napi_throw_error(env, "GAN_NATIVE", "gan_control_native.box(kind, x, out, params, value) takes 5 arguments");
    return nullptr;
  }
  int32_t kind;
  double value;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  CHECK(napi_get_value_double(env, argv[4], &value));
  float *x, *o;
  size_t lx, lo, lp;
  int32_t* q;
  if (!floatArray(env, argv[1], &x, &lx) || !floatArray(env, argv[2], &o, &lo) || !intArray(env, argv[3], &q, &lp)) return nullptr;
  const int rank = lp >= 1 ? q[0] : 0;
  bool ok = (kind == 0 || kind == 1) && rank >= 1 && rank <= 6 && lp == static_cast<size_t>(1 + 3 * rank);
  int64_t xd[6], od[6], begin[6], nx = 1, no = 1;
  for (int i = 0; ok && i < rank; i++) {
    xd[i] = q[1 + i];
    od[i] = q[1 + rank + i];
    begin[i] = q[1 + 2 * rank + i];
    const int64_t inner = kind == 0 ? od[i] : xd[i], outer = kind == 0 ? xd[i] : od[i];
    ok = xd[i] >= 1 && od[i] >= 1 && begin[i] >= 0 && begin[i] + inner <= outer;
    nx *= xd[i];
    no *= od[i];
  }
  if (!ok || nx != static_cast<int64_t>(lx) || no != static_cast<int64_t>(lo)) {
    napi_throw_range_error(env, "GAN_NATIVE", "gan_control_native.box: array sizes do not match the parameters");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(callMu);
  box(kind == 1, rank, xd, od, begin, x, o, static_cast<float>(value));
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t n = 1;
  if (argc == 1) CHECK(napi_get_value_int32(env, argv[0], &n));
  n = std::max(1, std::min(256, n));
  std::lock_guard<std::mutex> lock(callMu);
  if (n != pool->size()) pool->resize(n);
  napi_value out;
  CHECK(napi_create_int32(env, pool->size(), &out));
  return out;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_int32(env, pool->size(), &v));
  CHECK(napi_set_named_property(env, out, "threads", v));
  CHECK(napi_create_int32(env, VW * 32, &v));
  CHECK(napi_set_named_property(env, out, "simdBits", v));
  CHECK(napi_create_int32(env, 8, &v));
  CHECK(napi_set_named_property(env, out, "abi", v));
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  if (!pool) pool = new Pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  napi_property_descriptor props[] = {
      {"conv", nullptr, ConvCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMulCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, BinaryCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"leakyRelu", nullptr, LeakyReluCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"leakyReluGrad", nullptr, LeakyReluGradCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasLeakyRelu", nullptr, BiasLeakyReluCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, AdamCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ema", nullptr, EmaCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"demod", nullptr, DemodCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelDot", nullptr, ChannelDotCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, ReduceCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, TileCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fir", nullptr, FirCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pool", nullptr, PoolCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"box", nullptr, BoxCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
#endif  // GAN_NATIVE_NO_NAPI
