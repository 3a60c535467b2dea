// SPDX-License-Identifier: GPL-2.0-only
//
// The known kernel idioms (kernel_idioms.h). Add an entry only with a VM scenario that drives
// the site on a real kernel (tests/vm/scenarios/subsystems.sh) and the kernel source read.
#include "analyzer/kernel_idioms.h"

#include <array>

namespace modrace::checker {

namespace {

constexpr std::array kIdioms{
    // sound/core/control.c: snd_ctl_open() takes try_module_get(card->module) after
    // snd_card_file_add(), holding no lock.
    KernelIdiom{
        "snd_ctl_open",
        "the card was found under sound_mutex and the open registered its file on the card with "
        "snd_card_file_add() under card->files_lock, which refuses a card being shut down; the "
        "driver's exit frees the card with snd_card_free(), which marks it shut down under that "
        "lock and waits until every registered file is released, so the module cannot go while "
        "this get is in flight (a core that drains its users before unregister returns)",
        "snd_card_file_add and the waiting snd_card_free: read in 6.1 and 6.12"},
};

}  // namespace

const KernelIdiom* kernel_idiom(std::string_view function) {
  for (const auto& i : kIdioms)
    if (i.function == function) return &i;
  return nullptr;
}

}  // namespace modrace::checker
