/* guards_pg.h: the PL/pgSQL guards of tracked tables (the policies'
 * rules, records in transit, references to them), as schema_pg.c makes
 * them at init and tables_pg.c again at each track. */
#ifndef SYNCPACK_STORE_PG_GUARDS_PG_H
#define SYNCPACK_STORE_PG_GUARDS_PG_H

/* The functions of the tracked tables' triggers, replaced at each track
 * so that a site made by an older build gets today's. */
#define PG_GUARD_FUNCTIONS \
    /* The rkey of a row (as jsonb) for its table's key pk: a column's \
     * name, or for a composite key a JSON array of names, whose rkey is \
     * the text of the array of their values (keys_pg.c makes the same). \
     */ \
    "CREATE OR REPLACE FUNCTION syncpack.rkey_of(r jsonb, pk text)" \
    " RETURNS text LANGUAGE sql IMMUTABLE AS $$" \
    " SELECT CASE WHEN left(pk, 1) = '[' THEN (SELECT jsonb_agg(r -> e.k" \
    "  ORDER BY e.o) FROM jsonb_array_elements_text(pk::jsonb)" \
    "  WITH ORDINALITY AS e(k, o))::text ELSE r ->> pk END $$;" \
    /* Capture: one append to the change log per changed row, nothing \
     * else, so that writers never wait for each other here. Silent \
     * while syncpack applies (SET LOCAL syncpack.applying = 'on', a \
     * setting any role may make, unlike session_replication_role). \
     * Arguments: the table's id and its key. SECURITY DEFINER: the \
     * application's roles need no rights on the schema syncpack. The \
     * rkey is to_jsonb's text of the key, which for a timestamptz \
     * follows the session's TimeZone: the triggers compute it in UTC, as \
     * the tools' own connections do (pg_connect), so that one row has \
     * one rkey whoever writes it. */ \
    "CREATE OR REPLACE FUNCTION syncpack.capture() RETURNS trigger" \
    " LANGUAGE plpgsql SECURITY DEFINER" \
    " SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$" \
    " DECLARE ms bigint := floor(extract(epoch FROM clock_timestamp())" \
    "  * 1000); nk text; ok text;" \
    " BEGIN" \
    "  IF current_setting('syncpack.applying', true) = 'on' THEN" \
    "   RETURN NULL;" \
    "  END IF;" \
    "  IF left(TG_ARGV[1], 1) <> '[' THEN" \
    "   nk := to_jsonb(NEW) ->> TG_ARGV[1];" \
    "   ok := to_jsonb(OLD) ->> TG_ARGV[1];" \
    "  ELSE" \
    "   nk := syncpack.rkey_of(to_jsonb(NEW), TG_ARGV[1]);" \
    "   ok := syncpack.rkey_of(to_jsonb(OLD), TG_ARGV[1]);" \
    "  END IF;" \
    "  IF TG_OP = 'INSERT' THEN" \
    "   INSERT INTO syncpack.change(tbl, rkey, op, ms) VALUES" \
    "    (TG_ARGV[0]::bigint, nk, 1, ms);" \
    "  ELSIF TG_OP = 'UPDATE' THEN" \
    "   INSERT INTO syncpack.change(tbl, rkey, okey, op, ms) VALUES" \
    "    (TG_ARGV[0]::bigint, nk, ok, 2, ms);" \
    "  ELSE" \
    "   INSERT INTO syncpack.change(tbl, rkey, op, ms) VALUES" \
    "    (TG_ARGV[0]::bigint, ok, 3, ms);" \
    "  END IF;" \
    "  RETURN NULL;" \
    " END $$;" \
    /* The guards of a policy, before the change: arguments the table's \
     * id and key column, then central ('1': a central table at a spoke), \
     * frozen ('1': frozen records refused), owner (a site id: records \
     * owned by another site refused; '': not checked) and transit ('1': \
     * a movable table, whose records in transit are refused). */ \
    "CREATE OR REPLACE FUNCTION syncpack.guard() RETURNS trigger LANGUAGE plpgsql" \
    " SECURITY DEFINER SET search_path = pg_catalog, pg_temp" \
    " SET TimeZone = 'UTC' AS $$" \
    " DECLARE r record;" \
    " BEGIN" \
    "  IF current_setting('syncpack.applying', true) IS DISTINCT FROM 'on'" \
    "  THEN" \
    "   IF TG_ARGV[2] = '1' THEN" \
    "    RAISE EXCEPTION 'syncpack: % is a central table: only the hub" \
    " may change it', TG_TABLE_NAME;" \
    "   END IF;" \
    "   SELECT flags, owner INTO r FROM syncpack.record" \
    "    WHERE tbl = TG_ARGV[0]::bigint AND rkey = syncpack.rkey_of(CASE" \
    "    TG_OP WHEN 'INSERT' THEN to_jsonb(NEW) ELSE to_jsonb(OLD) END," \
    "    TG_ARGV[1]);" \
    "   IF FOUND AND TG_ARGV[5] = '1' AND r.flags & 2 = 2 THEN" \
    "    RAISE EXCEPTION 'syncpack: %: record is in transit to another" \
    " site and cannot be changed', TG_TABLE_NAME;" \
    "   END IF;" \
    "   IF FOUND AND TG_ARGV[3] = '1' AND r.flags & 1 = 1 THEN" \
    "    RAISE EXCEPTION 'syncpack: %: record is frozen (the hub has" \
    " acknowledged it) and cannot be changed here', TG_TABLE_NAME;" \
    "   END IF;" \
    "   IF FOUND AND TG_ARGV[4] <> '' AND r.owner <> TG_ARGV[4] THEN" \
    "    RAISE EXCEPTION 'syncpack: %: record is owned by another site;" \
    " only its creator or the hub may change it', TG_TABLE_NAME;" \
    "   END IF;" \
    "  END IF;" \
    "  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;" \
    "  RETURN NEW;" \
    " END $$;" \
    /* --rowversion-column: argument the column's name. A save must \
     * write back the value it read (a stale one is refused), and every \
     * change moves it on by one, as the fold moves the record's \
     * rowversion; a new row starts at 1, as its record does. */ \
    "CREATE OR REPLACE FUNCTION syncpack.rowversion_keep() RETURNS trigger" \
    " LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$" \
    " DECLARE c text := TG_ARGV[0];" \
    " BEGIN" \
    "  IF TG_OP = 'INSERT' THEN" \
    "   RETURN jsonb_populate_record(NEW, jsonb_build_object(c, 1));" \
    "  END IF;" \
    "  IF (to_jsonb(NEW) -> c) IS DISTINCT FROM (to_jsonb(OLD) -> c) THEN" \
    "   RAISE EXCEPTION 'syncpack: %: stale rowversion: the record changed" \
    " since it was read', TG_TABLE_NAME;" \
    "  END IF;" \
    "  RETURN jsonb_populate_record(NEW, jsonb_build_object(c," \
    "   (to_jsonb(OLD) ->> c)::bigint + 1));" \
    " END $$;" \
    /* A new reference to a record in transit (a line added to an \
     * intervention on its way to another site) would stay behind when \
     * the record leaves: refused like a change to the record. Argument \
     * the table's id; its references are syncpack.fk's, to parents of \
     * movable tables. On update, only a changed reference is checked. */ \
    "CREATE OR REPLACE FUNCTION syncpack.guard_references() RETURNS trigger" \
    " LANGUAGE plpgsql SECURITY DEFINER" \
    " SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$" \
    " DECLARE f record; v text;" \
    " BEGIN" \
    "  FOR f IN SELECT k.col, p.id, p.name FROM syncpack.fk k JOIN" \
    "   syncpack.tracked_table p ON p.id = k.parent WHERE k.tbl =" \
    "   TG_ARGV[0]::bigint AND p.movable = 1 LOOP" \
    "   v := to_jsonb(NEW) ->> f.col;" \
    "   IF v IS NOT NULL AND (TG_OP = 'INSERT' OR v IS DISTINCT FROM" \
    "    to_jsonb(OLD) ->> f.col) AND EXISTS (SELECT 1 FROM" \
    "    syncpack.record r WHERE r.tbl = f.id AND r.rkey = v AND" \
    "    r.flags & 2 = 2) THEN" \
    "    RAISE EXCEPTION 'syncpack: %: % refers to a record of % in" \
    " transit to another site; it would be left behind', TG_TABLE_NAME," \
    " f.col, f.name;" \
    "   END IF;" \
    "  END LOOP;" \
    "  RETURN NEW;" \
    " END $$;"

#endif
