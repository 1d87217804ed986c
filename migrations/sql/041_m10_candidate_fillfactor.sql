-- 041_m10_candidate_fillfactor
-- Room for HOT updates of public.recovery_candidates (issue 16, the evaluation write path).
-- Every evaluation updates a candidate twice: the lease (evaluation_claimed_at / _by, updated_at:
-- no indexed column, so a heap-only tuple when the page has room) is committed before the rule
-- engine runs, then the verdict (confidence, evaluated_at and more: indexed, never heap-only).
-- Ingest fills pages to 100% by default, so the lease found no room and wrote a new entry into
-- every one of the table's 19 indexes; measured on a 30,000-candidate drain, the lease statement
-- wrote 18 WAL records per candidate at fillfactor 100 and about 3 at 50. A claim worker leases
-- a run of consecutive ids, that is every row of a page at once, so each page needs room for a
-- new version of all its rows: half of it.
-- Only pages written from now on keep the room (no rewrite, no lock beyond SHARE UPDATE
-- EXCLUSIVE); existing rows are unaffected until they move.

-- Up Migration

ALTER TABLE public.recovery_candidates SET (fillfactor = 50);

-- Down Migration

ALTER TABLE public.recovery_candidates RESET (fillfactor);
