// Standalone timing of the addon's conv kernels, for machines without Node (the device bench):
//   g++ -O3 -march=native -std=c++17 -pthread -DGAN_NATIVE_NO_NAPI bench_conv.cc -o bench_conv
//   ./bench_conv <threads> [reps]   → JSON (ms) for [16,32,32,64] ⊛ 3×3×64×64, same padding.
#include "gan_native.cc"

#include <chrono>
#include <cstdio>
#include <random>

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 10;
  pool = new Pool(threads);
  Conv p{16, 32, 32, 64, 3, 3, 64, 32, 32, 1, 1, 1, 1, 1, 1};
  std::vector<float> x(16 * 32 * 32 * 64), f(9 * 64 * 64), y(x.size()), dx(x.size()), df(f.size());
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  for (auto& v : x) v = nd(rng);
  for (auto& v : f) v = nd(rng);
  for (auto& v : y) v = nd(rng);
  auto time = [&](auto fn) {
    fn();
    std::vector<double> t;
    for (int i = 0; i < reps; i++) {
      auto s = std::chrono::steady_clock::now();
      fn();
      t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
    }
    std::sort(t.begin(), t.end());
    return std::make_pair(t[t.size() / 2], t[0]);
  };
  auto a = time([&] { conv2d(p, x.data(), f.data(), y.data()); });
  auto b = time([&] { conv2dBackpropInput(p, y.data(), f.data(), dx.data()); });
  auto c = time([&] { conv2dBackpropFilter(p, x.data(), y.data(), df.data()); });
  std::printf("{\"threads\":%d,\"forward\":{\"median\":%.3f,\"min\":%.3f},\"gradInput\":{\"median\":%.3f,\"min\":%.3f},\"gradFilter\":{\"median\":%.3f,\"min\":%.3f}}\n",
              threads, a.first, a.second, b.first, b.second, c.first, c.second);
  return 0;
}
