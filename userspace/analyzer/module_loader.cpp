// SPDX-License-Identifier: GPL-2.0-only
//
// The module loader's own refcount bookkeeping, recognised by function name.
#include "analyzer/module_loader.h"

namespace modrace::checker {

CoreFn classify_core_function(std::string_view fn) {
  // The initial reference, taken in module_unload_init and dropped by do_init_module.
  if (fn == "do_init_module") return CoreFn::init_drop;
  // The loader's references on the modules a new module uses (resolve_symbol -> ref_module).
  if (fn == "ref_module" || fn == "resolve_symbol" || fn == "strong_try_module_get" ||
      fn == "resolve_symbol_wait" || fn == "simplify_symbols")
    return CoreFn::dep_get;
  // Dependency puts in free_module.
  if (fn == "module_unload_free" || fn == "free_module") return CoreFn::dep_put;
  if (fn == "load_module" || fn == "module_unload_init" || fn == "try_stop_module" ||
      fn == "try_release_module_ref" || fn == "__do_sys_delete_module" ||
      fn == "__se_sys_delete_module" || fn == "__x64_sys_delete_module" ||
      fn == "__arm64_sys_delete_module")
    return CoreFn::other;
  return CoreFn::none;
}

}  // namespace modrace::checker
