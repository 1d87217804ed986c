-- 031_m10_archive_partitioning: the seed's 023 (archive partitioning), numbered 031 because 024-029
-- were applied before it existed and the runner refuses a migration below an applied one
-- (docs/architecture.md §4.4, §5.2). The predecessor's 023 text fails; this is M10's own.
--
-- The three archive tables become range-partitioned by month on archived_at:
--   suggestion_provenance_archive, suggestion_input_archive (019) and dead_letter_archive (022).
-- (The seed's "candidates archive" is the candidates_archive retention job, which only counts: the
-- contract has no candidates archive table.) Every month is a partition <table>_pYYYYMM (UTC
-- months); <table>_default catches rows of a month that has none yet, and creating that month later
-- moves them in. ensure_archive_partitions(months_ahead) creates the current month and the next
-- months_ahead (the migration and the orchestrator's retention task call it);
-- drop_archive_partitions(table, older_than) drops whole months for retention.
--
-- A partitioned table's unique constraints must include the partition key, so the primary keys and
-- uq_dla_dl_msg keep their names with archived_at appended, and dead_letter_archive_keys (one row
-- per dl_msg_id, kept by a trigger) is what keeps dl_msg_id unique across months:
-- archive_dead_letter stays idempotent on dl_msg_id. Up and Down copy the rows (nothing is lost).

-- Up Migration

-- One month of an archive table, as its own partition. Rows of that month that wait in the
-- default partition are moved into it. Returns false when the partition already exists.
CREATE FUNCTION m10_recovery.create_archive_partition(p_table text, p_month date)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_start   timestamp   := date_trunc('month', p_month::timestamp);
    v_from    timestamptz := v_start AT TIME ZONE 'UTC';
    v_to      timestamptz := (v_start + interval '1 month') AT TIME ZONE 'UTC';
    v_name    text        := p_table || '_p' || to_char(v_start, 'YYYYMM');
    v_default text        := p_table || '_default';
    v_cols    text;
    v_waiting boolean     := false;
BEGIN
    IF to_regclass('m10_recovery.' || quote_ident(v_name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF to_regclass('m10_recovery.' || quote_ident(v_default)) IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM m10_recovery.%I WHERE archived_at >= %L AND archived_at < %L)',
                       v_default, v_from, v_to)
           INTO v_waiting;
    END IF;
    IF v_waiting THEN
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO v_cols
          FROM pg_attribute
         WHERE attrelid = ('m10_recovery.' || quote_ident(p_table))::regclass
           AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        EXECUTE format('CREATE TEMP TABLE m10_archive_moving AS SELECT %s FROM m10_recovery.%I WHERE archived_at >= %L AND archived_at < %L',
                       v_cols, v_default, v_from, v_to);
        EXECUTE format('DELETE FROM m10_recovery.%I WHERE archived_at >= %L AND archived_at < %L', v_default, v_from, v_to);
    END IF;
    EXECUTE format('CREATE TABLE m10_recovery.%I PARTITION OF m10_recovery.%I FOR VALUES FROM (%L) TO (%L)',
                   v_name, p_table, v_from, v_to);
    IF v_waiting THEN
        EXECUTE format('INSERT INTO m10_recovery.%I (%s) SELECT %s FROM m10_archive_moving', p_table, v_cols, v_cols);
        DROP TABLE m10_archive_moving;
    END IF;
    RETURN true;
END;
$$;

-- The current month (UTC) and the next p_months_ahead, for every archive table. Returns how many
-- partitions it created. Callers take turns (transaction-scoped advisory lock).
CREATE FUNCTION m10_recovery.ensure_archive_partitions(p_months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_table   text;
    v_created integer := 0;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead < 0 OR p_months_ahead > 120 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 120, got %', p_months_ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('m10_recovery.archive_partitions'));
    FOREACH v_table IN ARRAY ARRAY['suggestion_provenance_archive', 'suggestion_input_archive', 'dead_letter_archive'] LOOP
        FOR i IN 0..p_months_ahead LOOP
            IF m10_recovery.create_archive_partition(
                   v_table, (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date) THEN
                v_created := v_created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN v_created;
END;
$$;

-- Retention by whole months: drops every monthly partition of p_table whose month ended at or
-- before p_older_than. Returns the rows dropped. Rows past the retention in a month that is not
-- over yet (and in the default partition) are left to the caller's row deletes.
CREATE FUNCTION m10_recovery.drop_archive_partitions(p_table text, p_older_than timestamptz)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_partition text;
    v_rows      bigint;
    v_total     bigint := 0;
BEGIN
    IF p_table IS NULL OR p_table NOT IN ('suggestion_provenance_archive', 'suggestion_input_archive', 'dead_letter_archive') THEN
        RAISE EXCEPTION 'not a partitioned archive table: %', p_table USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('m10_recovery.archive_partitions'));
    FOR v_partition IN
        SELECT c.relname
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = ('m10_recovery.' || p_table)::regclass
           AND c.relname ~ ('^' || p_table || '_p[0-9]{6}$')
           AND ((to_date(right(c.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC') <= p_older_than
         ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT count(*) FROM m10_recovery.%I', v_partition) INTO v_rows;
        IF p_table = 'dead_letter_archive' THEN
            EXECUTE format('DELETE FROM m10_recovery.dead_letter_archive_keys k USING m10_recovery.%I p WHERE k.dl_msg_id = p.dl_msg_id',
                           v_partition);
        END IF;
        EXECUTE format('DROP TABLE m10_recovery.%I', v_partition);
        v_total := v_total + v_rows;
    END LOOP;
    RETURN v_total;
END;
$$;

-- Rebuilds an archive table as a partitioned (p_partitioned) or a plain table, rows included:
-- same columns, defaults, CHECKs, generated columns, comment and sequence ownership; the primary
-- and unique constraints under their names, with archived_at appended (partitioned) or removed
-- (plain); the other indexes as they were. Used by this migration's Up and Down.
CREATE FUNCTION m10_recovery.rebuild_archive_table(p_table text, p_partitioned boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_old       text := p_table || '_rebuilding';
    v_seq       text := pg_get_serial_sequence('m10_recovery.' || p_table, 'id');
    v_comment   text := obj_description(('m10_recovery.' || p_table)::regclass, 'pg_class');
    v_cols      text;
    v_month     date;
    v_statement text;
    v_later     text[] := ARRAY[]::text[];
BEGIN
    EXECUTE format('ALTER TABLE m10_recovery.%I RENAME TO %I', p_table, v_old);
    EXECUTE format('CREATE TABLE m10_recovery.%I (LIKE m10_recovery.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) %s',
                   p_table, v_old, CASE WHEN p_partitioned THEN 'PARTITION BY RANGE (archived_at)' ELSE '' END);
    IF p_partitioned THEN
        EXECUTE format('CREATE TABLE m10_recovery.%I PARTITION OF m10_recovery.%I DEFAULT', p_table || '_default', p_table);
        FOR v_month IN EXECUTE format(
            'SELECT DISTINCT date_trunc(''month'', archived_at AT TIME ZONE ''UTC'')::date FROM m10_recovery.%I', v_old)
        LOOP
            PERFORM m10_recovery.create_archive_partition(p_table, v_month);
        END LOOP;
    END IF;

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO v_cols
      FROM pg_attribute
     WHERE attrelid = ('m10_recovery.' || quote_ident(v_old))::regclass
       AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO m10_recovery.%I (%s) SELECT %s FROM m10_recovery.%I', p_table, v_cols, v_cols, v_old);

    -- Primary and unique constraints, then the plain indexes, re-created once the old table is gone.
    FOR v_statement IN
        SELECT format('ALTER TABLE m10_recovery.%I ADD CONSTRAINT %I %s', p_table, con.conname,
                      CASE WHEN p_partitioned THEN regexp_replace(pg_get_constraintdef(con.oid), '\)$', ', archived_at)')
                           ELSE replace(pg_get_constraintdef(con.oid), ', archived_at)', ')') END)
          FROM pg_constraint con
         WHERE con.conrelid = ('m10_recovery.' || quote_ident(v_old))::regclass AND con.contype IN ('p', 'u')
         ORDER BY con.contype, con.conname
    LOOP
        v_later := v_later || v_statement;
    END LOOP;
    FOR v_statement IN
        SELECT regexp_replace(pg_get_indexdef(ix.indexrelid), ' ON (ONLY )?m10_recovery\.' || v_old || ' ',
                              ' ON m10_recovery.' || p_table || ' ')
          FROM pg_index ix
         WHERE ix.indrelid = ('m10_recovery.' || quote_ident(v_old))::regclass
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid)
         ORDER BY ix.indexrelid::regclass::text
    LOOP
        v_later := v_later || v_statement;
    END LOOP;

    IF v_seq IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s OWNED BY NONE', v_seq);
    END IF;
    EXECUTE format('DROP TABLE m10_recovery.%I', v_old);
    FOREACH v_statement IN ARRAY v_later LOOP
        EXECUTE v_statement;
    END LOOP;
    IF v_seq IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s OWNED BY m10_recovery.%I.id', v_seq, p_table);
    END IF;
    EXECUTE format('COMMENT ON TABLE m10_recovery.%I IS %L', p_table, v_comment);
END;
$$;

SELECT m10_recovery.rebuild_archive_table('suggestion_provenance_archive', true);
SELECT m10_recovery.rebuild_archive_table('suggestion_input_archive', true);
SELECT m10_recovery.rebuild_archive_table('dead_letter_archive', true);
SELECT m10_recovery.ensure_archive_partitions(3);

-- dl_msg_id stays unique across months: one key row per archived dl_msg_id.
CREATE TABLE m10_recovery.dead_letter_archive_keys (
    dl_msg_id text CONSTRAINT dead_letter_archive_keys_pkey PRIMARY KEY
);
COMMENT ON TABLE m10_recovery.dead_letter_archive_keys IS
    'One row per dl_msg_id in dead_letter_archive (kept by trg_dla_keys): its uniqueness across partitions';
INSERT INTO m10_recovery.dead_letter_archive_keys (dl_msg_id)
SELECT dl_msg_id FROM m10_recovery.dead_letter_archive WHERE dl_msg_id IS NOT NULL;

-- A second row with a known dl_msg_id fails on dead_letter_archive_keys_pkey (unique_violation).
CREATE FUNCTION m10_recovery.track_dead_letter_key()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.dl_msg_id IS NOT NULL THEN
        DELETE FROM m10_recovery.dead_letter_archive_keys WHERE dl_msg_id = OLD.dl_msg_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.dl_msg_id IS NOT NULL THEN
        INSERT INTO m10_recovery.dead_letter_archive_keys (dl_msg_id) VALUES (NEW.dl_msg_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_dla_keys
    AFTER INSERT OR DELETE OR UPDATE OF dl_msg_id ON m10_recovery.dead_letter_archive
    FOR EACH ROW EXECUTE FUNCTION m10_recovery.track_dead_letter_key();

-- Same signature and promise as 022: idempotent on dl_msg_id (a repeat only bumps archived_at and
-- returns the existing id); a NULL dl_msg_id always inserts. ON CONFLICT (dl_msg_id) has no
-- unique index to use on the partitioned table, so a concurrent first archive of the same id is
-- caught as the key's unique violation and becomes the repeat.
CREATE OR REPLACE FUNCTION m10_recovery.archive_dead_letter(
    p_dl_msg_id        text,
    p_original_msg_id  text,
    p_candidate_id     integer,
    p_failure_match_id uuid,
    p_payload          jsonb,
    p_reason           text        DEFAULT NULL,
    p_reclaim_count    integer     DEFAULT 0,
    p_dead_lettered_at timestamptz DEFAULT NULL,
    p_archived_by      text        DEFAULT 'system'
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_dl_msg_id IS NOT NULL THEN
        UPDATE m10_recovery.dead_letter_archive SET archived_at = now()
         WHERE dl_msg_id = p_dl_msg_id
        RETURNING id INTO v_id;
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;
    BEGIN
        INSERT INTO m10_recovery.dead_letter_archive
            (dl_msg_id, original_msg_id, candidate_id, failure_match_id, payload, reason,
             reclaim_count, dead_lettered_at, archived_by)
        VALUES
            (p_dl_msg_id, p_original_msg_id, p_candidate_id, p_failure_match_id, p_payload, p_reason,
             p_reclaim_count, COALESCE(p_dead_lettered_at, now()), p_archived_by)
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        UPDATE m10_recovery.dead_letter_archive SET archived_at = now()
         WHERE dl_msg_id = p_dl_msg_id
        RETURNING id INTO v_id;
        IF NOT FOUND THEN
            -- A key without its row (a partition dropped or truncated by hand): take the key over.
            DELETE FROM m10_recovery.dead_letter_archive_keys WHERE dl_msg_id = p_dl_msg_id;
            INSERT INTO m10_recovery.dead_letter_archive
                (dl_msg_id, original_msg_id, candidate_id, failure_match_id, payload, reason,
                 reclaim_count, dead_lettered_at, archived_by)
            VALUES
                (p_dl_msg_id, p_original_msg_id, p_candidate_id, p_failure_match_id, p_payload, p_reason,
                 p_reclaim_count, COALESCE(p_dead_lettered_at, now()), p_archived_by)
            RETURNING id INTO v_id;
        END IF;
    END;
    RETURN v_id;
END;
$$;

-- The partitions of the archive tables, oldest month first (the runbooks' check).
CREATE VIEW m10_recovery.archive_partitions AS
SELECT parent.relname                                 AS table_name,
       child.relname                                  AS partition_name,
       pg_get_expr(child.relpartbound, child.oid)     AS bounds,
       pg_total_relation_size(child.oid)              AS bytes
  FROM pg_inherits i
  JOIN pg_class parent ON parent.oid = i.inhparent
  JOIN pg_class child ON child.oid = i.inhrelid
  JOIN pg_namespace n ON n.oid = parent.relnamespace
 WHERE n.nspname = 'm10_recovery'
   AND parent.relname IN ('suggestion_provenance_archive', 'suggestion_input_archive', 'dead_letter_archive')
 ORDER BY parent.relname, child.relname;

-- Down Migration

DROP VIEW m10_recovery.archive_partitions;

-- 022's body (ON CONFLICT works again once uq_dla_dl_msg is UNIQUE (dl_msg_id)).
CREATE OR REPLACE FUNCTION m10_recovery.archive_dead_letter(
    p_dl_msg_id        text,
    p_original_msg_id  text,
    p_candidate_id     integer,
    p_failure_match_id uuid,
    p_payload          jsonb,
    p_reason           text        DEFAULT NULL,
    p_reclaim_count    integer     DEFAULT 0,
    p_dead_lettered_at timestamptz DEFAULT NULL,
    p_archived_by      text        DEFAULT 'system'
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO m10_recovery.dead_letter_archive AS dla
        (dl_msg_id, original_msg_id, candidate_id, failure_match_id, payload, reason,
         reclaim_count, dead_lettered_at, archived_by)
    VALUES
        (p_dl_msg_id, p_original_msg_id, p_candidate_id, p_failure_match_id, p_payload, p_reason,
         p_reclaim_count, COALESCE(p_dead_lettered_at, now()), p_archived_by)
    ON CONFLICT (dl_msg_id) DO UPDATE
       SET archived_at = now()
    RETURNING dla.id INTO v_id;

    RETURN v_id;
END;
$$;

DROP TRIGGER trg_dla_keys ON m10_recovery.dead_letter_archive;
DROP FUNCTION m10_recovery.track_dead_letter_key();
DROP TABLE m10_recovery.dead_letter_archive_keys;

SELECT m10_recovery.rebuild_archive_table('dead_letter_archive', false);
SELECT m10_recovery.rebuild_archive_table('suggestion_input_archive', false);
SELECT m10_recovery.rebuild_archive_table('suggestion_provenance_archive', false);

DROP FUNCTION m10_recovery.rebuild_archive_table(text, boolean);
DROP FUNCTION m10_recovery.drop_archive_partitions(text, timestamptz);
DROP FUNCTION m10_recovery.ensure_archive_partitions(integer);
DROP FUNCTION m10_recovery.create_archive_partition(text, date);
