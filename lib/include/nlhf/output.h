#pragma once
// The output layer (lib/src/output/): CSV text, safe file writing, the trace writer and summary.json.
// Adding an output format means one file here plus the observer or writer call that feeds it.
#include "nlhf/output/csv.h"
#include "nlhf/output/files.h"
#include "nlhf/output/summary_json.h"
#include "nlhf/output/trace.h"
#include "nlhf/output/trace_spool.h"
