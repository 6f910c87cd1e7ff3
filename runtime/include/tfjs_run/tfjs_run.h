// The public C++ API of tfjs-run. Include this one header.
#pragma once

#include "tfjs_run/dense_matrix.h"
#include "tfjs_run/error.h"
#include "tfjs_run/model.h"
#include "tfjs_run/model_config.h"
#include "tfjs_run/model_set.h"
#include "tfjs_run/published_models.h"
#include "tfjs_run/runtime.h"
