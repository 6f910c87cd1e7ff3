// libtfjs_run_core.so is the static tfjs_run library linked whole into one shared object (see
// CMakeLists.txt). This file only gives the target a source of its own.
#include "tfjs_run/tfjs_run.h"
