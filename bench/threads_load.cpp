// SPDX-License-Identifier: Apache-2.0
// Do threads ever make a step slower? Runs the seed, MLP and CNN training steps (dense_step.h,
// cnn_step.h) on one thread and on the default thread count, interleaved, first on an
// otherwise idle machine and then beside 1, 2 and 3 busy processes that this program starts
// (forked children spinning on the CPU) and stops itself. Prints, per case, the median and
// the mean step time of each configuration and their ratios default / 1 thread (below 1: the
// default is faster). The median resists the noise of a shared machine; the mean is what an
// epoch costs.
//
//   build/bench/tapegrad_threads_bench [--busy 0,1,2,3] [--rounds 9] [--ms 300]
//                                      [--steps seed,mlp,cnn]
//
// A round runs each step for --ms milliseconds, alternating the two configurations step by
// step so that both see the same load from the rest of the machine; the times of all rounds
// are pooled. Not a Google Benchmark program: it must own the busy processes, and it reports
// ratios rather than single timings.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cnn_step.h"
#include "dense_step.h"
#include "tapegrad/tapegrad.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int> busy = {0, 1, 2, 3};
  int rounds = 9;
  int ms = 300;
  std::vector<std::string> steps = {"seed", "mlp", "cnn"};
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (flag == "--busy") {
      o.busy.clear();
      for (const std::string& b : split(value)) o.busy.push_back(std::atoi(b.c_str()));
    } else if (flag == "--rounds") {
      o.rounds = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--ms") {
      o.ms = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--steps") {
      o.steps = split(value);
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Processes spinning on the CPU for as long as this object lives (and no longer than this
// program: each dies with its parent).
class BusyProcesses {
 public:
  explicit BusyProcesses(int n) {
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid < 0) {
        std::perror("fork");
        std::exit(1);
      }
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        volatile unsigned long spin = 0;
        for (;;) spin = spin + 1;
      }
      pids_.push_back(pid);
    }
  }
  BusyProcesses(const BusyProcesses&) = delete;
  BusyProcesses& operator=(const BusyProcesses&) = delete;
  ~BusyProcesses() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one, five, fifteen;
  f >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Wall times of one step (ms) on one thread and on the default count, appended to times[0]
// and times[1], over a window of at least `ms` milliseconds (and three steps of each): the
// two alternate step by step, so that both see the same load from the rest of the machine.
// One unmeasured step of each first.
void time_steps(const std::function<void()>& step, int ms, std::vector<double> times[2]) {
  for (const size_t threads : {size_t{1}, size_t{0}}) {
    tg_bench::must(tg_set_num_threads(threads), "tg_set_num_threads");
    step();
  }
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  for (int i = 0, done = 0; done < 6 || Clock::now() < until; ++i, ++done) {
    const int k = i % 2;  // 0: one thread, 1: the default
    tg_bench::must(tg_set_num_threads(k == 0 ? 1 : 0), "tg_set_num_threads");
    const auto start = Clock::now();
    step();
    times[k].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

struct Step {
  std::string name;
  std::function<void()> run;
};

std::vector<Step> make_steps(const std::vector<std::string>& names,
                             std::vector<std::shared_ptr<void>>& keep) {
  std::vector<Step> steps;
  for (const std::string& name : names) {
    if (name == "seed") {
      auto s = std::make_shared<tg_bench::DenseStep>(tg_bench::kSeedBatch, tg_bench::kSeedWidths, false);
      keep.push_back(s);
      steps.push_back({"seed step (batch 1000, 32-32-10)", [s] { s->run(); }});
    } else if (name == "mlp") {
      auto s = std::make_shared<tg_bench::DenseStep>(tg_bench::kMlpBatch, tg_bench::kMlpWidths, true);
      keep.push_back(s);
      steps.push_back({"MLP step (batch 256, 784-512-512-10)", [s] { s->run(); }});
    } else if (name == "cnn") {
      auto s = std::make_shared<tg_bench::Cnn>();
      keep.push_back(s);
      steps.push_back({"CNN step (batch 128)", [s] { s->train_step(); }});
    } else {
      std::fprintf(stderr, "unknown step %s (seed, mlp, cnn)\n", name.c_str());
      std::exit(2);
    }
  }
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::shared_ptr<void>> keep;
  const std::vector<Step> steps = make_steps(o.steps, keep);
  size_t default_threads = 0;
  tg_bench::must(tg_set_num_threads(0), "tg_set_num_threads");
  tg_bench::must(tg_get_num_threads(&default_threads), "tg_get_num_threads");
  std::printf("default threads: %zu; %d rounds of %d ms per step and configuration\n",
              default_threads, o.rounds, o.ms);
  std::printf("%-5s %-38s %11s %11s %8s %11s %11s %8s  %s\n", "busy", "step", "median 1", "median dflt",
              "ratio", "mean 1", "mean dflt", "ratio", "load average before");
  for (const int busy : o.busy) {
    const std::string load = load_average();
    BusyProcesses spinners(busy);
    usleep(200 * 1000);  // let the scheduler spread them
    std::vector<std::array<std::vector<double>, 2>> times(steps.size());
    for (int round = 0; round < o.rounds; ++round)
      for (size_t s = 0; s < steps.size(); ++s) time_steps(steps[s].run, o.ms, times[s].data());
    for (size_t s = 0; s < steps.size(); ++s) {
      const auto& [one, dflt] = times[s];
      std::printf("%-5d %-38s %11.3f %11.3f %8.3f %11.3f %11.3f %8.3f  %s\n", busy,
                  steps[s].name.c_str(), median(one), median(dflt), median(dflt) / median(one),
                  mean(one), mean(dflt), mean(dflt) / mean(one), load.c_str());
    }
    std::fflush(stdout);
  }
  tg_bench::must(tg_set_num_threads(0), "tg_set_num_threads");
  return 0;
}
