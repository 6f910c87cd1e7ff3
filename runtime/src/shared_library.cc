// libtfjs_run.so is the static tfjs_run and tfjs_run_base libraries linked whole into one shared
// object (runtime/CMakeLists.txt). This file only gives the target a source of its own.
#include "tfjs_run/tfjs_run.h"
