# Sourced by bench/cert.sh and bench/http.sh: the store layout they share
# under WORK (SQLite in WORK/sqlite, PostgreSQL database PG_DB on PG_BASE)
# and the import both run. Needs WORK, PG_BASE, PG_DB and REUSE set.

# store_flags BACKEND: sets the array db to the zheng flags that open it.
store_flags() {
	case $1 in
	sqlite) db=(--data-dir "$WORK/sqlite") ;;
	postgres) db=(--data-dir "$WORK/pgdata" --db "$PG_BASE/$PG_DB?sslmode=disable") ;;
	*) echo "unknown backend $1" >&2; exit 2 ;;
	esac
}

# import_store BACKEND ZHENG: imports WORK/certs.jsonl into an emptied
# store with ZHENG, timed; with REUSE=1 keeps a store imported before.
import_store() {
	local backend=$1 zheng=$2
	store_flags "$backend"
	if [ "$REUSE" = 1 ] && [ -e "$WORK/imported-$backend" ]; then
		echo "reusing the imported $backend store"
		return
	fi
	case $backend in
	sqlite) rm -rf "$WORK/sqlite" ;;
	postgres) psql "$PG_BASE/test?sslmode=disable" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" ;;
	esac
	echo "load average before import: $(cut -d' ' -f1-3 /proc/loadavg)"
	/usr/bin/time -f "import: %e s wall, %U s user, %S s sys, %M KB max RSS" "$zheng" cert import "${db[@]}" "$WORK/certs.jsonl"
	echo "load average after import: $(cut -d' ' -f1-3 /proc/loadavg)"
	touch "$WORK/imported-$backend"
}
