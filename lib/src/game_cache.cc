#include "nlhf/game_cache.h"

#include <fmt/format.h>

#include <string_view>

#include "nlhf/params.h"

namespace nlhf {

namespace {

// Every text with its length first, so that no two configs give one key whatever their texts hold.
void AppendText(std::string& key, std::string_view text) { key += fmt::format("{}:{};", text.size(), text); }

void AppendComponent(std::string& key, const ComponentConfig& c) {
  AppendText(key, c.name);
  key += fmt::format("storage {};{} params;", static_cast<int>(c.storage), c.params.size());
  for (const auto& [name, value] : c.params) {
    AppendText(key, name);
    AppendText(key, FormatParamValue(value));
  }
}

}  // namespace

std::string GameKey(const ExperimentConfig& config) {
  std::string key = "game;";
  AppendComponent(key, config.game);
  key += "reference;";
  AppendComponent(key, config.reference);
  key += fmt::format("{} inputs;", config.inputs.size());
  for (const InputFile& f : config.inputs) {
    AppendText(key, f.key);
    AppendText(key, f.path);
    AppendText(key, f.sha256);
  }
  return key;
}

double GameBytes(const Game& game) {
  return game.preferences().StoredBytes() + 16.0 * static_cast<double>(game.n()) +
         static_cast<double>(game.game_spec().size() + game.reference_spec().size()) + 512.0;
}

std::unordered_multimap<std::uint64_t, GameCache::Entries::iterator>::iterator GameCache::Lookup(
    const std::string& key, std::uint64_t seed) {
  auto [it, last] = by_seed_.equal_range(seed);
  while (it != last && it->second->key != key) ++it;
  return it == last ? by_seed_.end() : it;
}

std::shared_ptr<const Game> GameCache::Find(const std::string& key, std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = Lookup(key, seed);
  if (found == by_seed_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, found->second);  // now the most recently used
  return found->second->game;
}

void GameCache::Put(const std::string& key, std::uint64_t seed, std::shared_ptr<const Game> game) {
  const double bytes = GameBytes(*game);
  if (bytes > max_bytes_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (Lookup(key, seed) != by_seed_.end()) return;
  entries_.push_front(Entry{key, seed, std::move(game), bytes});
  by_seed_.emplace(seed, entries_.begin());
  bytes_ += bytes;
  while (bytes_ > max_bytes_) {
    const Entry& last = entries_.back();
    by_seed_.erase(Lookup(last.key, last.seed));
    bytes_ -= last.bytes;
    entries_.pop_back();
  }
}

double GameCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

size_t GameCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::string LastGame::KeyOf(const ExperimentConfig& config) {
  return fmt::format("{}seed {};", GameKey(config), config.seeds.empty() ? 0 : config.seeds.front());
}

std::shared_ptr<const Game> LastGame::Take(const ExperimentConfig& config) {
  std::shared_ptr<const Game> game = std::move(game_);
  game_.reset();
  const bool same = !key_.empty() && key_ == KeyOf(config);
  key_.clear();
  return same ? game : nullptr;
}

void LastGame::Keep(const ExperimentConfig& config, std::shared_ptr<const Game> game) {
  game_ = std::move(game);
  key_ = game_ ? KeyOf(config) : std::string();
}

}  // namespace nlhf
