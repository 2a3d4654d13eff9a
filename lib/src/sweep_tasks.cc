// The tasks of a sweep and its shards (nlhf/sweep_tasks.h).
#include "nlhf/sweep_tasks.h"

#include <fmt/format.h>

#include <stdexcept>
#include <variant>

#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf {

std::vector<SweepTask> SweepTasks(const SweepConfig& s) {
  std::vector<SweepTask> tasks;
  for (const SweepPoint& p : s.points) {
    const std::string& text = p.task_fingerprint;
    double n = 10.0;
    for (const auto& [k, v] : p.config.game.params)
      if (k == "n") n = static_cast<double>(std::get<std::int64_t>(v));
    for (size_t i = 0; i < p.config.seeds.size(); ++i) {
      SweepTask t;
      t.point = p.index;
      t.seed_index = i;
      t.id = fmt::format("{:016x}", Fnv1a64(fmt::format("{}|seed={}", text, p.config.seeds[i])));
      t.cost = n * n * static_cast<double>(p.config.stop.iterations) *
               static_cast<double>(p.config.solvers.size());
      tasks.push_back(std::move(t));
    }
  }
  return tasks;
}

Shard ParseShard(const std::string& text) {
  Shard s;
  const size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    // Digits (and a minus, refused as out of range below): stoi would also take spaces and a '+'.
    if (text.find_first_not_of("0123456789/-") != std::string::npos) throw std::invalid_argument("not digits");
    size_t used = 0;
    s.k = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("trailing");
    s.n = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError("--shard",
                     fmt::format("'{}' is not K/N, expected for example --shard 2/8", text));
  }
  if (s.n < 1 || s.k < 1 || s.k > s.n)
    throw InputError("--shard", fmt::format("'{}' is out of range, expected 1 <= K <= N", text));
  return s;
}


std::string TaskName(const SweepPoint& p, std::uint64_t seed) {
  std::string values;
  for (const auto& [k, v] : p.values) values += fmt::format(", {}={}", k, v);
  return fmt::format("sweep point {} (seed={}{})", p.index, seed, values);
}

std::set<std::string> TaskIds(const std::vector<SweepTask>& tasks, const Shard& shard) {
  std::set<std::string> ids;
  for (size_t i = 0; i < tasks.size(); ++i)
    if (shard.Holds(i)) ids.insert(tasks[i].id);
  return ids;
}

}  // namespace nlhf
