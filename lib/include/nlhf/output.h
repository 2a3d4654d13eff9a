#pragma once
// The output layer (lib/src/output/): CSV text, safe file writing, the trace writer and summary.json.
// Adding an output format: its file in lib/src/output/ and its header in nlhf/output/, plus the
// app that feeds it (nlhf-run: ExperimentOptions::observer), three files; a sweep's also needs its
// task store and assembly (README, "Add an output format").
#include "nlhf/output/csv.h"
#include "nlhf/output/files.h"
#include "nlhf/output/summary_json.h"
#include "nlhf/output/trace.h"
#include "nlhf/output/trace_spool.h"
