// The trace store: osprofiler spans keyed by base_id and parent_id.
//
// Module layout (see Docs/format/span-segment.md for the bytes):
// - the span model and osprofiler event/report parsing,
// - the WAL-backed head that pairs `-start`/`-stop` events,
// - immutable span segments sorted by (base_id, parent_id, start) with their indexes,
// - queries: a trace by base_id, search, per-service statistics, the critical path.
